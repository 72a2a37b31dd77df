// Rules across settings, as data: each row names the setting its message is about, when the
// combination is refused, and what to say. Checked only once every value parsed on its own.
import { SPACEPAY_API } from "../domain.js";
import { STATE_KEY_ACCEPTED } from "../safety/state-key.js";
import { SETTINGS, type Settings, type SettingKey, type Source } from "./settings.js";
import { LOOPBACK_HOSTS } from "./values.js";

/** The tool whose registration decides whether withdrawal rules apply. */
export const WITHDRAWAL_TOOL = "create_withdrawal";

/** What a rule sees: the parsed values and what is derived from them. */
export interface RuleInput {
  v: Settings;
  sources: Record<SettingKey, Source>;
  /** How the message names a setting: as given ("--port (SPACEPAY_MCP_PORT)", "X_FILE (path)") or its variable. */
  label: (key: SettingKey) => string;
  /** A user value as a message may show it (capped, secrets masked). */
  echo: (value: string) => string;
  withdrawalsEnabled: boolean;
  oauth: boolean;
  /** When given, the tool names SPACEPAY_TOOLS and SPACEPAY_EXCLUDE_TOOLS may use. */
  knownTools: readonly string[] | undefined;
}

export interface Rule {
  /** The setting the message is about (ConfigError.variable). */
  about: SettingKey;
  /** Said at startup instead of refusing it: the combination may be meant. */
  warn?: true;
  /** The refusal, or null when the combination is fine. */
  check: (input: RuleInput) => string | null;
}

const unknownTools =
  (key: "tools" | "excludeTools"): Rule["check"] =>
  ({ v, label, echo, knownTools }) => {
    const unknown = knownTools ? (v[key] ?? []).filter((t) => !knownTools.includes(t)) : [];
    return unknown.length
      ? `Invalid ${label(key)}: unknown tool ${unknown.map((t) => `"${echo(t)}"`).join(", ")}. Accepted: ${knownTools!.join(", ")}.`
      : null;
  };

const oauthHalf =
  (set: "oauthIssuer" | "oauthAudience", missing: "oauthIssuer" | "oauthAudience"): Rule["check"] =>
  ({ v, label }) =>
    v[set] && !v[missing]
      ? `${label(set)} is set but ${SETTINGS[missing].env} is not: OAuth needs both, the issuer whose tokens are accepted and the audience they must name. Accepted: set both, or neither.`
      : null;

const LIVE_HOST = new URL(SPACEPAY_API.live).hostname;

export const RULES: readonly Rule[] = [
  { about: "tools", check: unknownTools("tools") },
  { about: "excludeTools", check: unknownTools("excludeTools") },
  {
    about: "apiUrl",
    check: ({ v, sources, label }) =>
      sources.apiUrl !== "default" && !v.secretKey
        ? `${label("apiUrl")} is set but SPACEPAY_SECRET_KEY is not: an API URL without a key is an error, not demo mode. Set SPACEPAY_SECRET_KEY (or SPACEPAY_SECRET_KEY_FILE), or unset ${label("apiUrl")} to run the demo.`
        : null,
  },
  {
    about: "databaseUrl",
    check: ({ v, label }) =>
      v.databaseUrl && !v.stateKey
        ? `${label("databaseUrl")} requires SPACEPAY_STATE_KEY (or SPACEPAY_STATE_KEY_FILE): with shared state the key must not live beside the data it seals, and every instance needs the same one. Accepted: ${STATE_KEY_ACCEPTED}.`
        : null,
  },
  {
    about: "databaseUrl",
    check: ({ v, label }) =>
      v.databaseUrl && !v.secretKey
        ? `${label("databaseUrl")} is set but SPACEPAY_SECRET_KEY is not: demo mode keeps its simulated state in the state directory, never in a shared database. Set SPACEPAY_SECRET_KEY, or unset ${label("databaseUrl")}.`
        : null,
  },
  // With SPACEPAY_APPROVAL=passkey a withdrawal is approved on the page whatever SPACEPAY_CONFIRM says.
  {
    about: "confirm",
    check: ({ v, label, withdrawalsEnabled }) =>
      v.confirm === "off" &&
      v.approval !== "passkey" &&
      withdrawalsEnabled &&
      v.withdrawalAllowlist.length === 0
        ? `${label("confirm")}=off is refused while withdrawals are enabled and SPACEPAY_WITHDRAWAL_ALLOWLIST is empty: unconfirmed withdrawals could go to any address. Accepted: set SPACEPAY_WITHDRAWAL_ALLOWLIST, or SPACEPAY_READ_ONLY=true, or exclude ${WITHDRAWAL_TOOL} (SPACEPAY_EXCLUDE_TOOLS), or choose SPACEPAY_CONFIRM auto, elicitation or token, or SPACEPAY_APPROVAL=passkey.`
        : null,
  },
  // Over HTTP the pages are reached at SPACEPAY_PUBLIC_URL, whose host is the passkeys' relying-party id.
  {
    about: "approval",
    check: ({ v, label }) =>
      v.approval === "passkey" && v.http && !v.publicUrl
        ? `${label("approval")}=passkey over HTTP needs SPACEPAY_PUBLIC_URL: approvers open the approval pages there, and its host name is the passkeys' relying-party id. Accepted: set SPACEPAY_PUBLIC_URL (https, or http on loopback), or use stdio, or SPACEPAY_APPROVAL=host.`
        : null,
  },
  // The API answers a key on the wrong network with 401 only at the first call; say it at startup.
  {
    about: "apiUrl",
    warn: true,
    check: ({ v, label }) => {
      if (!v.secretKey) return null;
      const host = new URL(v.apiUrl).hostname;
      if (v.secretKey.startsWith("sk_test_") && host === LIVE_HOST)
        return `SPACEPAY_SECRET_KEY is a test key (sk_test_) but ${label("apiUrl")} is the live API ${host}: test keys work only on the testnet. Set SPACEPAY_API_URL=${SPACEPAY_API.testnet}.`;
      if (!v.secretKey.startsWith("sk_test_") && /testnet/i.test(host))
        return `SPACEPAY_SECRET_KEY is a live key (sk_, not sk_test_) but ${label("apiUrl")} is the testnet host ${host}: live keys work only on ${SPACEPAY_API.live}.`;
      return null;
    },
  },
  {
    about: "metrics",
    check: ({ v, label }) =>
      v.metrics === "prometheus" && !v.http
        ? `${label("metrics")}=prometheus serves GET /metrics over HTTP, and this server speaks stdio. Accepted: add --http (SPACEPAY_MCP_HTTP=true), or push metrics with OTEL_EXPORTER_OTLP_ENDPOINT instead.`
        : null,
  },
  {
    about: "webhookSecret",
    warn: true,
    check: ({ v, label }) =>
      v.webhookSecret && !v.http && !v.databaseUrl
        ? `${label("webhookSecret")} is set but this server speaks stdio without SPACEPAY_DATABASE_URL: the webhook endpoint (POST /webhooks/spacepay) is served with --http only, and events reach other instances through a shared PostgreSQL, so this instance polls as without webhooks.`
        : null,
  },
  { about: "oauthAudience", check: oauthHalf("oauthIssuer", "oauthAudience") },
  { about: "oauthIssuer", check: oauthHalf("oauthAudience", "oauthIssuer") },
  // One way to authenticate HTTP callers: a shared token would let anyone holding it past the
  // scopes and the per-subject confirmations OAuth gives.
  {
    about: "mcpHttpToken",
    check: ({ v, oauth }) =>
      oauth && v.mcpHttpToken
        ? `SPACEPAY_MCP_HTTP_TOKEN and SPACEPAY_OAUTH_ISSUER are both set: choose one way to authenticate HTTP callers. Accepted: unset SPACEPAY_MCP_HTTP_TOKEN to use OAuth, or unset SPACEPAY_OAUTH_ISSUER and SPACEPAY_OAUTH_AUDIENCE to use the shared token.`
        : null,
  },
  {
    about: "host",
    check: ({ v, label, echo, oauth }) =>
      !LOOPBACK_HOSTS.has(v.host.toLowerCase()) && !v.mcpHttpToken && !oauth
        ? `${label("host")} "${echo(v.host)}" exposes the server beyond this machine, which requires SPACEPAY_MCP_HTTP_TOKEN or OAuth. Accepted: 127.0.0.1, localhost or ::1, or any host with SPACEPAY_MCP_HTTP_TOKEN set, or with SPACEPAY_OAUTH_ISSUER and SPACEPAY_OAUTH_AUDIENCE set.`
        : null,
  },
];
