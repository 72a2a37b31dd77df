// The one configuration module: every setting is one entry in SETTINGS (env name, flag, zod schema,
// default, description); values come from flags over environment over defaults, validated once.
import { readFileSync } from "node:fs";
import { homedir as osHomedir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { redact, registerSecret, type LogLevel } from "./log.js";
import { parseStateKey, STATE_KEY_ACCEPTED } from "./safety/state-key.js";
import { evmAddressProblem, isEvmAddress, tryCaip2 } from "./spacepay/chains.js";
import type { AllowlistEntry, ConfirmMode, Mode } from "./domain.js";
import { defaultStateDir, type StateDirContext } from "./state-dir.js";

// Decided in state-dir.ts (the stdio front finds the state directory without loading this module).
export { defaultStateDir, effectiveStateDir } from "./state-dir.js";

/** The tool whose registration decides whether withdrawal rules apply. */
export const WITHDRAWAL_TOOL = "create_withdrawal";

/** Where a value came from, for diagnostics ("config show", logs). */
export type Source = "flag" | "env" | "file" | "default";

export interface LoadConfigOptions {
  env: Record<string, string | undefined>;
  /** Parsed command-line flags keyed by kebab-case name (`{ "timeout-ms": "5000", http: true }`). */
  flags?: Record<string, string | number | boolean | null | undefined>;
  readFile?: (file: string) => string;
  platform?: NodeJS.Platform;
  homedir?: string;
  /** When given, SPACEPAY_TOOLS / SPACEPAY_EXCLUDE_TOOLS may only name these. */
  knownTools?: readonly string[];
}

type Context = StateDirContext;

interface SettingDef<T> {
  env: string;
  /** Kebab-case flag name; null for secrets (argv is visible to other users of the machine). */
  flag: string | null;
  /** Never echoed in messages, registered with the logger's redaction. */
  secret?: boolean;
  /** Also readable from `${env}_FILE` (trimmed file content). */
  file?: boolean;
  schema: z.ZodType<T, string>;
  /** Used when neither flag nor environment sets it. */
  default: T | ((ctx: Context) => T);
  /** The default as shown in help. */
  defaultText: string;
  /** What values are accepted, in words (shown in errors and help). */
  accepted: string;
  description: string;
}

const def = <T>(d: SettingDef<T>): SettingDef<T> => d;

// ---- value schemas (input is the trimmed, non-blank string) ----

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^[+-]?[0-9]+$/, "is not a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `is below the minimum ${min}`).max(max, `is above the maximum ${max}`));

const TRUE = ["true", "1", "yes"];
const FALSE = ["false", "0", "no"];
const bool = () =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .refine((s) => TRUE.includes(s) || FALSE.includes(s), "is not a boolean")
    .transform((s) => TRUE.includes(s));

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, { error: "is not one of the accepted values" }));

const secretString = () =>
  z
    .string()
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), "contains whitespace or control characters");

const list = () =>
  z.string().transform((s) => [
    ...new Set(
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ]);

const apiUrl = () =>
  z.string().transform((s, ctx) => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a URL" });
      return z.NEVER;
    }
    const fail = (message: string) => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    };
    if (url.protocol !== "http:" && url.protocol !== "https:") return fail("is not an http(s) URL");
    if (url.username || url.password) return fail("must not carry a user name or password");
    if (url.search || url.hash) return fail("must not carry a query string or fragment");
    const out = (url.origin + url.pathname).replace(/\/+$/, "");
    if (/\/v1$/i.test(out))
      return fail("ends in /v1, but the client adds /v1 to every path itself: drop the /v1");
    return out;
  });

const databaseUrl = () =>
  z.string().refine((s) => {
    try {
      return ["postgres:", "postgresql:"].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, "is not a postgres:// URL");

const allowlist = () =>
  z.string().transform((s, ctx): AllowlistEntry[] => {
    const out = new Map<string, AllowlistEntry>();
    for (const item of s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)) {
      const cut = item.lastIndexOf(":");
      const prefix = cut === -1 ? null : item.slice(0, cut);
      const rawAddress = cut === -1 ? item : item.slice(cut + 1);
      const chainId = prefix === null ? undefined : tryCaip2(prefix);
      if (chainId === null) {
        ctx.addIssue({ code: "custom", message: `entry "${item}" names an unknown chain "${prefix}"` });
        continue;
      }
      const evm = chainId === undefined || chainId.startsWith("eip155:");
      if (evm && !isEvmAddress(rawAddress)) {
        ctx.addIssue({
          code: "custom",
          message: `entry "${item}" is not an EVM address (0x and 40 hex digits)`,
        });
        continue;
      }
      const problem = evm ? evmAddressProblem(rawAddress) : null;
      if (problem) {
        ctx.addIssue({ code: "custom", message: `entry "${item}" ${problem}` });
        continue;
      }
      if (!rawAddress) {
        ctx.addIssue({ code: "custom", message: `entry "${item}" has no address` });
        continue;
      }
      const address = evm ? rawAddress.toLowerCase() : rawAddress;
      out.set(`${chainId ?? ""}|${address}`, chainId ? { chainId, address } : { address });
    }
    return [...out.values()];
  });

/** Names that reach only this machine, as a bind address or as a URL's hostname ("[::1]"). */
export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** An OAuth issuer or resource URL: https, or plain http on loopback only (a test issuer). Kept as
 * typed: `iss` and `aud` are compared as exact strings, so no normalisation may change them. */
const oauthUrl = () =>
  z.string().superRefine((s, ctx) => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a URL" });
      return;
    }
    const loopback = LOOPBACK_HOSTS.has(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      ctx.addIssue({
        code: "custom",
        message: "must be an https URL (plain http only on 127.0.0.1, localhost or ::1)",
      });
    } else if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({
        code: "custom",
        message: "must not carry a user name, password, query string or fragment",
      });
    }
  });

const stateKey = () =>
  z.string().transform((s, ctx) => {
    const parsed = parseStateKey(s);
    if (parsed.ok) return parsed.key;
    ctx.addIssue({ code: "custom", message: parsed.problem });
    return z.NEVER;
  });

const host = () => z.string().regex(/^[^\s/]+$/, "is not a host name or IP address");

// ---- the table ----

export const SETTINGS = {
  secretKey: def<string | null>({
    env: "SPACEPAY_SECRET_KEY",
    flag: null,
    secret: true,
    file: true,
    schema: secretString(),
    default: null,
    defaultText: "none (demo mode)",
    accepted: "a merchant secret key (sk_test_… on testnet, sk_… live), on one line",
    description:
      "Merchant secret key; its prefix picks test or live mode. Without it the server runs the demo.",
  }),
  apiUrl: def<string>({
    env: "SPACEPAY_API_URL",
    flag: "api-url",
    schema: apiUrl(),
    default: "https://api.spacepay.solutions",
    defaultText: "https://api.spacepay.solutions",
    accepted: "an http(s) URL without /v1, e.g. https://api-testnet.spacepay.solutions",
    description: "SpacePay API base URL (the client adds /v1/...).",
  }),
  bearerToken: def<string | null>({
    env: "SPACEPAY_BEARER_TOKEN",
    flag: null,
    secret: true,
    file: true,
    schema: secretString(),
    default: null,
    defaultText: "none",
    accepted: "a dashboard bearer JWT, on one line",
    description:
      "Dashboard bearer token; only the withdrawal-config route uses it (with SPACEPAY_MERCHANT_ID).",
  }),
  merchantId: def<string | null>({
    env: "SPACEPAY_MERCHANT_ID",
    flag: "merchant-id",
    schema: z.string().regex(/^[A-Za-z0-9_-]+$/, "is not a merchant id"),
    default: null,
    defaultText: "none",
    accepted: "the merchant id (letters, digits, - and _)",
    description: "Merchant id, for the withdrawal-config route.",
  }),
  timeoutMs: def<number>({
    env: "SPACEPAY_TIMEOUT_MS",
    flag: "timeout-ms",
    schema: int(100, 600_000),
    default: 15_000,
    defaultText: "15000",
    accepted: "an integer from 100 to 600000",
    description: "Per-attempt HTTP timeout (connect, headers, body, whole attempt), in ms.",
  }),
  maxRetries: def<number>({
    env: "SPACEPAY_MAX_RETRIES",
    flag: "max-retries",
    schema: int(0, 10),
    default: 2,
    defaultText: "2",
    accepted: "an integer from 0 to 10",
    description: "Retries for failed requests that are safe to repeat.",
  }),
  stateDir: def<string>({
    env: "SPACEPAY_STATE_DIR",
    flag: "state-dir",
    // Resolved once, here: a relative path must not change meaning when the working directory does.
    schema: z.string().transform((s) => path.resolve(s)),
    default: defaultStateDir,
    // Says what defaultStateDir() does, platform by platform.
    defaultText:
      "$XDG_DATA_HOME/spacepay-mcp, else ~/.local/share/spacepay-mcp; macOS: ~/Library/Application Support/spacepay-mcp; Windows: %APPDATA%\\spacepay-mcp",
    accepted: "a directory path",
    description:
      "Where durable state lives: payment secrets, the withdrawal ledger, confirmation tokens (hashed), audit.jsonl. Demo mode uses its demo/ subfolder.",
  }),
  stateKey: def<Buffer | null>({
    env: "SPACEPAY_STATE_KEY",
    flag: null,
    secret: true,
    file: true,
    schema: stateKey(),
    default: null,
    defaultText: "generated once into the state directory (state.key)",
    accepted: STATE_KEY_ACCEPTED,
    description:
      "Key sealing payment secrets at rest (AES-256-GCM). Give every instance sharing state the same key.",
  }),
  databaseUrl: def<string | null>({
    env: "SPACEPAY_DATABASE_URL",
    flag: null,
    // It carries the database password.
    secret: true,
    file: true,
    schema: databaseUrl(),
    default: null,
    defaultText: "none (SQLite in SPACEPAY_STATE_DIR)",
    accepted: "a postgres:// or postgresql:// URL",
    description:
      "PostgreSQL for all durable state (ledger, tokens, payment secrets, audit), shared by every instance that uses it.",
  }),
  confirm: def<ConfirmMode>({
    env: "SPACEPAY_CONFIRM",
    flag: "confirm",
    schema: oneOf(["auto", "elicitation", "token", "off"]),
    default: "auto",
    defaultText: "auto",
    accepted: "auto, elicitation, token, off",
    description: "How money-moving calls are confirmed by the human.",
  }),
  confirmTimeoutMs: def<number>({
    env: "SPACEPAY_CONFIRM_TIMEOUT_MS",
    flag: "confirm-timeout-ms",
    schema: int(1_000, 3_600_000),
    default: 120_000,
    defaultText: "120000",
    accepted: "an integer from 1000 to 3600000",
    description: "How long an elicitation confirmation waits for the human, in ms.",
  }),
  confirmTtlSeconds: def<number>({
    env: "SPACEPAY_CONFIRM_TTL_SECONDS",
    flag: "confirm-ttl-seconds",
    schema: int(10, 86_400),
    default: 600,
    defaultText: "600",
    accepted: "an integer from 10 to 86400",
    description: "How long a confirmation token stays valid, in seconds.",
  }),
  maxWithdrawalCents: def<number>({
    env: "SPACEPAY_MAX_WITHDRAWAL_CENTS",
    flag: "max-withdrawal-cents",
    schema: int(0, 100_000_000),
    default: 100_000,
    defaultText: "100000 ($1,000.00)",
    accepted: "an integer from 0 to 100000000 (cents)",
    description: "Largest single withdrawal, in cents.",
  }),
  dailyWithdrawalLimitCents: def<number>({
    env: "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS",
    flag: "daily-withdrawal-limit-cents",
    schema: int(0, 10_000_000_000),
    default: 500_000,
    defaultText: "500000 ($5,000.00)",
    accepted: "an integer from 0 to 10000000000 (cents)",
    description:
      "Total withdrawn through this server in any rolling 24 hours, across every process sharing the state directory, in cents.",
  }),
  maxPaymentCents: def<number>({
    env: "SPACEPAY_MAX_PAYMENT_CENTS",
    flag: "max-payment-cents",
    schema: int(0, 100_000_000),
    default: 100_000_000,
    defaultText: "100000000 ($1,000,000.00)",
    accepted: "an integer from 0 to 100000000 (cents)",
    description: "Largest payment request, in cents.",
  }),
  withdrawalAllowlist: def<AllowlistEntry[]>({
    env: "SPACEPAY_WITHDRAWAL_ALLOWLIST",
    flag: "withdrawal-allowlist",
    schema: allowlist(),
    default: [],
    defaultText: "empty (any address, with confirmation)",
    accepted: "comma-separated EVM addresses, optionally chain-qualified (eip155:8453:0xabc…)",
    description: "Recipient addresses withdrawals may go to; when set, every other address is refused.",
  }),
  allowLiveWithdrawals: def<boolean>({
    env: "SPACEPAY_ALLOW_LIVE_WITHDRAWALS",
    flag: "allow-live-withdrawals",
    schema: bool(),
    default: false,
    defaultText: "false",
    accepted: "true, false, 1, 0, yes, no",
    description: "With a live key, create_withdrawal is registered only when this is true.",
  }),
  readOnly: def<boolean>({
    env: "SPACEPAY_READ_ONLY",
    flag: "read-only",
    schema: bool(),
    default: false,
    defaultText: "false",
    accepted: "true, false, 1, 0, yes, no",
    description:
      "Only tools annotated read-only are registered (no payments, deposits, quotes, withdrawals); wins over all.",
  }),
  tools: def<string[] | null>({
    env: "SPACEPAY_TOOLS",
    flag: "tools",
    schema: list(),
    default: null,
    defaultText: "all tools",
    accepted: "comma-separated tool names",
    description: "Register only these tools; an unknown name stops startup with the valid names.",
  }),
  excludeTools: def<string[]>({
    env: "SPACEPAY_EXCLUDE_TOOLS",
    flag: "exclude-tools",
    schema: list(),
    default: [],
    defaultText: "none",
    accepted: "comma-separated tool names",
    description: "Never register these tools.",
  }),
  logLevel: def<LogLevel>({
    env: "SPACEPAY_LOG_LEVEL",
    flag: "log-level",
    schema: oneOf(["debug", "info", "warn", "error"]),
    default: "info",
    defaultText: "info",
    accepted: "debug, info, warn, error",
    description: "Lowest level written to the stderr log.",
  }),
  mcpHttpToken: def<string | null>({
    env: "SPACEPAY_MCP_HTTP_TOKEN",
    flag: null,
    secret: true,
    schema: secretString(),
    default: null,
    defaultText: "none",
    accepted: "a bearer token for HTTP clients, on one line",
    description:
      "Bearer token HTTP clients must present. Required when --host is not loopback, unless OAuth is set (not both); without either, HTTP offers only read-only tools (no payments, deposits or withdrawals).",
  }),
  oauthIssuer: def<string | null>({
    env: "SPACEPAY_OAUTH_ISSUER",
    flag: "oauth-issuer",
    schema: oauthUrl(),
    default: null,
    defaultText: "none",
    accepted:
      "the authorization server's issuer URL, exactly as its tokens' iss claim (https; http only on loopback)",
    description:
      "OAuth 2.1 over HTTP: accept access tokens from this issuer (keys found through its RFC 8414 or OpenID metadata). Set with SPACEPAY_OAUTH_AUDIENCE; replaces SPACEPAY_MCP_HTTP_TOKEN.",
  }),
  oauthAudience: def<string | null>({
    env: "SPACEPAY_OAUTH_AUDIENCE",
    flag: "oauth-audience",
    schema: oauthUrl(),
    default: null,
    defaultText: "none",
    accepted: "this server's public MCP URL, e.g. https://mcp.example.com/mcp (https; http only on loopback)",
    description:
      "OAuth 2.1 over HTTP: the resource (RFC 8707) tokens must name in aud, and the resource in the protected-resource metadata. Set with SPACEPAY_OAUTH_ISSUER.",
  }),
  oauthMaxTokenLifetime: def<number>({
    env: "SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS",
    flag: "oauth-max-token-lifetime-seconds",
    schema: int(60, 31_536_000),
    default: 86_400,
    defaultText: "86400 (one day)",
    accepted: "an integer from 60 to 31536000",
    description:
      "OAuth 2.1 over HTTP: the longest lifetime (exp minus iat) an access token may have; a longer-lived token is refused, so a leaked one stops working soon.",
  }),
  http: def<boolean>({
    env: "SPACEPAY_MCP_HTTP",
    flag: "http",
    schema: bool(),
    default: false,
    defaultText: "false (stdio)",
    accepted: "true, false, 1, 0, yes, no",
    description:
      "Serve MCP over Streamable HTTP instead of stdio (money-moving tools only with SPACEPAY_MCP_HTTP_TOKEN or OAuth).",
  }),
  port: def<number>({
    env: "SPACEPAY_MCP_PORT",
    flag: "port",
    schema: int(0, 65_535),
    default: 3000,
    defaultText: "3000",
    accepted: "an integer from 0 to 65535 (0 picks a free port, logged at startup)",
    description: "HTTP port (with --http).",
  }),
  host: def<string>({
    env: "SPACEPAY_MCP_HOST",
    flag: "host",
    schema: host(),
    default: "127.0.0.1",
    defaultText: "127.0.0.1",
    accepted:
      "a host name or IP address; anything but 127.0.0.1, localhost or ::1 needs SPACEPAY_MCP_HTTP_TOKEN or OAuth",
    description: "HTTP bind address (with --http).",
  }),
};

type Settings = {
  [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never;
};
type SettingKey = keyof Settings;

export interface Config extends Settings {
  /** demo: no key and no URL; test: an sk_test_ key; live: any other key. */
  mode: Mode;
  /** Whether the create_withdrawal tool will be registered (not read-only, not excluded). */
  withdrawalsEnabled: boolean;
  /** HTTP callers authenticate with OAuth access tokens: both settings were given. */
  oauth: { issuer: string; audience: string; maxTokenLifetimeSeconds: number } | null;
  /** Where each setting's value came from. */
  sources: Record<SettingKey, Source>;
}

export interface ConfigIssue {
  /** The variable (or flag) the problem is about. */
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly issues: ConfigIssue[];
  /** The first variable named, for callers that report one. */
  readonly variable: string;

  constructor(issues: ConfigIssue[]) {
    super(issues.map((i) => i.message).join("\n"));
    this.issues = issues;
    this.variable = issues[0]?.variable ?? "";
  }
}

/** Reads, validates and cross-checks every setting; throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions): Config {
  const ctx: Context = {
    env: options.env,
    platform: options.platform ?? process.platform,
    homedir: options.homedir ?? osHomedir(),
  };
  const flags = options.flags ?? {};
  const readFile = options.readFile ?? ((file: string) => readFileSync(file, "utf8"));
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  const sources = {} as Record<SettingKey, Source>;
  const labels = {} as Record<SettingKey, string>;

  const entries = Object.entries(SETTINGS) as Array<[SettingKey, SettingDef<unknown>]>;
  const raws = entries.map(([, s]) => rawValue(s, flags, ctx.env, readFile, issues));
  // Register every secret before any message is built, so one pasted into the wrong variable is masked too.
  entries.forEach(([, s], i) => s.secret && registerSecret(raws[i]?.value));
  // The database URL's password alone, too: a driver message could quote it without the rest.
  const dbUrl = raws[entries.findIndex(([key]) => key === "databaseUrl")]?.value;
  if (dbUrl) registerSecret(urlPassword(dbUrl));

  for (const [i, [key, s]] of entries.entries()) {
    const raw = raws[i] ?? null;
    labels[key] = raw?.label ?? s.env;
    if (!raw) {
      sources[key] = "default";
      values[key] = typeof s.default === "function" ? (s.default as (c: Context) => unknown)(ctx) : s.default;
      continue;
    }
    sources[key] = raw.source;
    const parsed = s.schema.safeParse(raw.value);
    if (parsed.success) {
      values[key] = parsed.data;
    } else {
      const problem = parsed.error.issues.map((i) => i.message).join("; ");
      const shown = s.secret ? "" : ` "${echo(raw.value)}"`;
      issues.push({
        variable: raw.label,
        message: `Invalid ${raw.label}${shown}: ${problem}. Accepted: ${s.accepted}.`,
      });
    }
  }
  if (issues.length) throw new ConfigError(issues);

  const v = values as Settings;
  const withdrawalsEnabled =
    !v.readOnly &&
    (v.tools === null || v.tools.includes(WITHDRAWAL_TOOL)) &&
    !v.excludeTools.includes(WITHDRAWAL_TOOL);

  if (options.knownTools) {
    const known = options.knownTools;
    for (const key of ["tools", "excludeTools"] as const) {
      const unknown = (v[key] ?? []).filter((t) => !known.includes(t));
      if (unknown.length) {
        issues.push({
          variable: labels[key],
          message: `Invalid ${labels[key]}: unknown tool ${unknown.map((t) => `"${echo(t)}"`).join(", ")}. Accepted: ${known.join(", ")}.`,
        });
      }
    }
  }
  if (sources.apiUrl !== "default" && !v.secretKey) {
    issues.push({
      variable: labels.apiUrl,
      message: `${labels.apiUrl} is set but SPACEPAY_SECRET_KEY is not: an API URL without a key is an error, not demo mode. Set SPACEPAY_SECRET_KEY (or SPACEPAY_SECRET_KEY_FILE), or unset ${labels.apiUrl} to run the demo.`,
    });
  }
  if (v.databaseUrl && !v.stateKey) {
    issues.push({
      variable: labels.databaseUrl,
      message: `${labels.databaseUrl} requires SPACEPAY_STATE_KEY (or SPACEPAY_STATE_KEY_FILE): with shared state the key must not live beside the data it seals, and every instance needs the same one. Accepted: ${STATE_KEY_ACCEPTED}.`,
    });
  }
  if (v.databaseUrl && !v.secretKey) {
    issues.push({
      variable: labels.databaseUrl,
      message: `${labels.databaseUrl} is set but SPACEPAY_SECRET_KEY is not: demo mode keeps its simulated state in the state directory, never in a shared database. Set SPACEPAY_SECRET_KEY, or unset ${labels.databaseUrl}.`,
    });
  }
  if (v.confirm === "off" && withdrawalsEnabled && v.withdrawalAllowlist.length === 0) {
    issues.push({
      variable: labels.confirm,
      message: `${labels.confirm}=off is refused while withdrawals are enabled and SPACEPAY_WITHDRAWAL_ALLOWLIST is empty: unconfirmed withdrawals could go to any address. Accepted: set SPACEPAY_WITHDRAWAL_ALLOWLIST, or SPACEPAY_READ_ONLY=true, or exclude ${WITHDRAWAL_TOOL} (SPACEPAY_EXCLUDE_TOOLS), or choose SPACEPAY_CONFIRM auto, elicitation or token.`,
    });
  }
  const oauth = Boolean(v.oauthIssuer && v.oauthAudience);
  if (Boolean(v.oauthIssuer) !== Boolean(v.oauthAudience)) {
    const [set, missing] = v.oauthIssuer
      ? (["oauthIssuer", "oauthAudience"] as const)
      : (["oauthAudience", "oauthIssuer"] as const);
    issues.push({
      variable: labels[missing],
      message: `${labels[set]} is set but ${SETTINGS[missing].env} is not: OAuth needs both, the issuer whose tokens are accepted and the audience they must name. Accepted: set both, or neither.`,
    });
  }
  // One way to authenticate HTTP callers: a shared token would let anyone holding it past the
  // scopes and the per-subject confirmations OAuth gives.
  if (oauth && v.mcpHttpToken) {
    issues.push({
      variable: "SPACEPAY_MCP_HTTP_TOKEN",
      message: `SPACEPAY_MCP_HTTP_TOKEN and SPACEPAY_OAUTH_ISSUER are both set: choose one way to authenticate HTTP callers. Accepted: unset SPACEPAY_MCP_HTTP_TOKEN to use OAuth, or unset SPACEPAY_OAUTH_ISSUER and SPACEPAY_OAUTH_AUDIENCE to use the shared token.`,
    });
  }
  if (!LOOPBACK_HOSTS.has(v.host.toLowerCase()) && !v.mcpHttpToken && !oauth) {
    issues.push({
      variable: labels.host,
      message: `${labels.host} "${echo(v.host)}" exposes the server beyond this machine, which requires SPACEPAY_MCP_HTTP_TOKEN or OAuth. Accepted: 127.0.0.1, localhost or ::1, or any host with SPACEPAY_MCP_HTTP_TOKEN set, or with SPACEPAY_OAUTH_ISSUER and SPACEPAY_OAUTH_AUDIENCE set.`,
    });
  }
  if (issues.length) throw new ConfigError(issues);

  const mode: Mode = !v.secretKey ? "demo" : v.secretKey.startsWith("sk_test_") ? "test" : "live";
  const oauthSettings =
    v.oauthIssuer && v.oauthAudience
      ? {
          issuer: v.oauthIssuer,
          audience: v.oauthAudience,
          maxTokenLifetimeSeconds: v.oauthMaxTokenLifetime,
        }
      : null;
  return { ...v, mode, withdrawalsEnabled, oauth: oauthSettings, sources };
}

interface RawValue {
  value: string;
  source: Source;
  /** How to name it in messages: "SPACEPAY_X", "--x (SPACEPAY_X)" or "SPACEPAY_X_FILE (path)". */
  label: string;
}

/** The winning raw value for one setting (flag, then env, then env _FILE), or null when unset. */
function rawValue(
  s: SettingDef<unknown>,
  flags: NonNullable<LoadConfigOptions["flags"]>,
  env: Record<string, string | undefined>,
  readFile: (file: string) => string,
  issues: ConfigIssue[],
): RawValue | null {
  const blank = (x: unknown): x is undefined | null | "" =>
    x === undefined || x === null || (typeof x === "string" && x.trim() === "");
  const flagName =
    s.flag ??
    s.env
      .replace(/^SPACEPAY_/, "")
      .toLowerCase()
      .replace(/_/g, "-");

  if (s.flag === null) {
    // Secrets never come from argv; say so rather than silently ignoring the flag.
    for (const f of [flagName, `${flagName}-file`]) {
      if (!blank(flags[f])) {
        issues.push({
          variable: s.env,
          message: `--${f} is not accepted: command lines are visible to other users. Set ${s.env}${s.file ? ` or ${s.env}_FILE` : ""} in the environment.`,
        });
      }
    }
  } else if (!blank(flags[s.flag])) {
    return { value: String(flags[s.flag]).trim(), source: "flag", label: `--${s.flag} (${s.env})` };
  }

  const direct = blank(env[s.env]) ? null : env[s.env]!.trim();
  const fileVar = `${s.env}_FILE`;
  const file = s.file && !blank(env[fileVar]) ? env[fileVar]!.trim() : null;
  if (direct !== null && file !== null) {
    issues.push({
      variable: s.env,
      message: `${s.env} and ${fileVar} are both set. Accepted: set only one of them.`,
    });
    return null;
  }
  if (direct !== null) return { value: direct, source: "env", label: s.env };
  if (file === null) return null;

  let content: string;
  try {
    content = readFile(file).trim();
  } catch (err) {
    const reason = (err as { code?: string }).code ?? (err as Error).message;
    issues.push({
      variable: fileVar,
      message: `Invalid ${fileVar}: cannot read "${echo(file)}" (${reason}). Accepted: a readable file holding ${s.accepted}.`,
    });
    return null;
  }
  if (!content) {
    issues.push({
      variable: fileVar,
      message: `Invalid ${fileVar}: "${echo(file)}" is empty. Accepted: a readable file holding ${s.accepted}.`,
    });
    return null;
  }
  return { value: content, source: "file", label: `${fileVar} (${echo(file)})` };
}

function urlPassword(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).password) || null;
  } catch {
    return null;
  }
}

/** A user value as shown in a message: capped, with any registered secret masked. */
function echo(value: string): string {
  const capped = value.length > 200 ? value.slice(0, 200) + "…" : value;
  // A URL's user:password part is a credential too.
  return redact(capped.replace(/\/\/[^/@\s]*@/g, "//***@"));
}

export interface SettingHelp {
  env: string;
  /** Also read from this variable (a file path), when the setting supports it. */
  fileEnv: string | null;
  flag: string | null;
  secret: boolean;
  default: string;
  accepted: string;
  description: string;
}

/** The settings table as plain rows, for --help and the README. */
export function settingsHelp(): SettingHelp[] {
  return Object.values(SETTINGS as Record<string, SettingDef<unknown>>).map((s) => ({
    env: s.env,
    fileEnv: s.file ? `${s.env}_FILE` : null,
    flag: s.flag ? `--${s.flag}` : null,
    secret: Boolean(s.secret),
    default: s.defaultText,
    accepted: s.accepted,
    description: s.description,
  }));
}

/** settingsHelp() as the README's markdown table (scripts/sync-readme.mjs writes it; prettier aligns it). */
export function settingsMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const code = (name: string | null) => (name ? `\`${name}\`` : "");
  const rows = settingsHelp().map((h) => {
    const names = [h.env, h.fileEnv].filter(Boolean).map(code).join(", ");
    return `| ${names} | ${h.flag ? code(h.flag) : "(env only)"} | ${cell(h.description)} | ${cell(h.accepted)} | ${cell(h.default)} |`;
  });
  return [
    "| variable | flag | meaning | accepted | default |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** settingsHelp() as aligned text lines for --help. */
export function formatSettingsHelp(): string {
  return settingsHelp()
    .map((h) => {
      const names = [h.flag, h.env, h.fileEnv].filter(Boolean).join(", ");
      return `  ${names}\n      ${h.description} Accepted: ${h.accepted}. Default: ${h.default}.`;
    })
    .join("\n");
}
