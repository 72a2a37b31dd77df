// Loading: values come from flags over environment (or a _FILE) over defaults, each parsed by its
// setting's schema, then the rules across settings; every problem is reported at once.
import { readFileSync } from "node:fs";
import { homedir as osHomedir } from "node:os";
import { redact, registerSecret } from "../log.js";
import type { Mode } from "../domain.js";
import type { StateDirContext } from "../state-dir.js";
import { RULES, WITHDRAWAL_TOOL } from "./rules.js";
import {
  DEFAULT_POLL_INTERVAL_MS,
  settingEntries,
  WEBHOOK_POLL_INTERVAL_MS,
  type SettingDef,
  type SettingKey,
  type Settings,
  type Source,
} from "./settings.js";
import { acceptedText, LOOPBACK_HOSTS } from "./values.js";

export interface LoadConfigOptions {
  env: Record<string, string | undefined>;
  /** Parsed command-line flags keyed by kebab-case name (`{ "timeout-ms": "5000", http: true }`). */
  flags?: Record<string, string | number | boolean | null | undefined>;
  readFile?: (file: string) => string;
  platform?: NodeJS.Platform;
  homedir?: string;
  /** When given, SPACEPAY_TOOLS / SPACEPAY_EXCLUDE_TOOLS may only name these. */
  knownTools?: readonly string[];
  /** Refuse a flag that names no setting (the server's own command line; subcommands have their own flags). */
  refuseUnknownFlags?: boolean;
}

export interface Config extends Settings {
  /** SPACEPAY_POLL_INTERVAL_MS, or its default (longer where webhook events reach this instance). */
  pollIntervalMs: number;
  /**
   * Verified webhook events reach this instance's watchers: SPACEPAY_WEBHOOK_SECRET with its own
   * endpoint (--http), or with PostgreSQL, where any instance's receiver tells every other (NOTIFY).
   */
  webhookEvents: boolean;
  /** demo: no key and no URL; test: an sk_test_ key; live: any other key. */
  mode: Mode;
  /** Whether the create_withdrawal tool will be registered (not read-only, not excluded). */
  withdrawalsEnabled: boolean;
  /** HTTP callers authenticate with OAuth access tokens: both settings were given. */
  oauth: { issuer: string; audience: string; maxTokenLifetimeSeconds: number } | null;
  /** Host names an HTTP request bound to loopback may carry (Host, Origin): loopback names, the
   * hosts of the settings that name this server, and SPACEPAY_MCP_ALLOWED_HOSTS. */
  hostAllowList: ReadonlySet<string>;
  /** Combinations that may be meant but probably are not, said at startup. */
  warnings: string[];
  /** What OpenTelemetry exports, decided once from the settings; null when nothing (no module loads). */
  telemetry: TelemetryConfig | null;
  /** Where each setting's value came from. */
  sources: Record<SettingKey, Source>;
}

export interface TelemetryConfig {
  traces: boolean;
  /** OTLP metrics, pushed every `metricIntervalMs`. */
  otlpMetrics: boolean;
  /** The Prometheus text format at GET /metrics (HTTP only). */
  prometheus: boolean;
  protocol: "http/protobuf" | "http/json";
  metricIntervalMs: number;
  /** The bearer GET /metrics requires, if any. */
  metricsToken: string | null;
}

/** OTel's rule: an exporter named explicitly wins; unnamed, OTLP is on when an endpoint is set. */
function telemetryOf(v: Settings): TelemetryConfig | null {
  const otlp = (exporter: "otlp" | "none" | null) =>
    !v.otelDisabled && (exporter === "otlp" || (exporter === null && v.otelEndpoint !== null));
  const t: TelemetryConfig = {
    traces: otlp(v.otelTracesExporter),
    otlpMetrics: otlp(v.otelMetricsExporter),
    prometheus: v.metrics === "prometheus",
    protocol: v.otelProtocol,
    metricIntervalMs: v.otelMetricInterval,
    metricsToken: v.metricsToken,
  };
  return t.traces || t.otlpMetrics || t.prometheus ? t : null;
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

/**
 * Reads and validates the named settings (all of them for null), each on its own; throws ConfigError
 * listing every problem.
 */
function parseSettings(keys: readonly SettingKey[] | null, options: LoadConfigOptions) {
  const ctx: StateDirContext = {
    env: options.env,
    platform: options.platform ?? process.platform,
    homedir: options.homedir ?? osHomedir(),
  };
  const flags = options.flags ?? {};
  const readFile = options.readFile ?? ((file: string) => readFileSync(file, "utf8"));
  const issues: ConfigIssue[] = options.refuseUnknownFlags ? unknownFlags(flags) : [];
  const values: Record<string, unknown> = {};
  const sources = {} as Record<SettingKey, Source>;
  const labels = {} as Record<SettingKey, string>;

  const entries = settingEntries().filter(([key]) => keys === null || keys.includes(key));
  const raws = entries.map(([, s]) => rawValue(s, flags, ctx.env, readFile, issues));
  // Register every secret before any message is built, so one pasted into the wrong variable is masked too.
  // Each comma-separated part too: a setting that holds several secrets (webhook rotation) may log one.
  entries.forEach(([, s], i) => {
    if (!s.secret) return;
    registerSecret(raws[i]?.value);
    for (const part of raws[i]?.value.split(",") ?? []) registerSecret(part.trim());
  });
  // The database URL's password alone, too: a driver message could quote it without the rest.
  const dbUrl = raws[entries.findIndex(([key]) => key === "databaseUrl")]?.value;
  if (dbUrl) registerSecret(urlPassword(dbUrl));

  for (const [i, [key, s]] of entries.entries()) {
    const raw = raws[i] ?? null;
    labels[key] = raw?.label ?? s.env;
    if (!raw) {
      sources[key] = "default";
      values[key] =
        typeof s.default === "function" ? (s.default as (c: StateDirContext) => unknown)(ctx) : s.default;
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
        message: `Invalid ${raw.label}${shown}: ${problem}. Accepted: ${acceptedText(s.schema)}.`,
      });
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return { ctx, values, sources, labels };
}

/**
 * Only the named settings, without the rules that tie them to the rest: for commands that need no
 * more than what they read (`audit verify` needs no merchant key, `db migrate` no state key).
 */
export function loadSettings<K extends SettingKey>(
  keys: readonly K[],
  options: LoadConfigOptions,
): Pick<Settings, K> {
  return parseSettings(keys, options).values as Pick<Settings, K>;
}

/** Reads, validates and cross-checks every setting; throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions): Config {
  const { values, sources, labels } = parseSettings(null, options);
  const issues: ConfigIssue[] = [];
  const v = values as Settings;
  const withdrawalsEnabled =
    !v.readOnly &&
    (v.tools === null || v.tools.includes(WITHDRAWAL_TOOL)) &&
    !v.excludeTools.includes(WITHDRAWAL_TOOL);
  const oauth =
    v.oauthIssuer && v.oauthAudience
      ? { issuer: v.oauthIssuer, audience: v.oauthAudience, maxTokenLifetimeSeconds: v.oauthMaxTokenLifetime }
      : null;
  const label = (key: SettingKey) => labels[key];
  const input = {
    v,
    sources,
    label,
    echo,
    withdrawalsEnabled,
    oauth: oauth !== null,
    knownTools: options.knownTools,
  };
  const warnings: string[] = [];
  for (const rule of RULES) {
    const message = rule.check(input);
    if (message && rule.warn) warnings.push(message);
    else if (message) issues.push({ variable: label(rule.about), message });
  }
  if (issues.length) throw new ConfigError(issues);

  const mode: Mode = !v.secretKey ? "demo" : v.secretKey.startsWith("sk_test_") ? "test" : "live";
  const webhookEvents = webhookEventsReach(v);
  const pollIntervalMs =
    v.pollIntervalMs ?? (webhookEvents ? WEBHOOK_POLL_INTERVAL_MS : DEFAULT_POLL_INTERVAL_MS);
  return {
    ...v,
    mode,
    withdrawalsEnabled,
    oauth,
    hostAllowList: hostAllowList(v),
    telemetry: telemetryOf(v),
    pollIntervalMs,
    webhookEvents,
    warnings,
    sources,
  };
}

/**
 * Whether webhook events reach this instance, which is what makes polling only the safety net (the
 * poll interval's default is decided from it, once, above).
 */
function webhookEventsReach(v: Pick<Settings, "webhookSecret" | "http" | "databaseUrl">): boolean {
  return v.webhookSecret !== null && (v.http || v.databaseUrl !== null);
}

function hostAllowList(v: Settings): Set<string> {
  const ours = settingEntries()
    .filter(([, s]) => s.namesThisServer)
    .map(([key]) => v[key])
    .filter((url): url is string => typeof url === "string")
    .map((url) => new URL(url).hostname.toLowerCase());
  return new Set([...LOOPBACK_HOSTS, ...ours, ...v.allowedHosts]);
}

/** A flag that names no setting, refused with the ones that do (a typo must not start a different server). */
function unknownFlags(flags: NonNullable<LoadConfigOptions["flags"]>): ConfigIssue[] {
  const valid = settingEntries().flatMap(([, s]) => (s.flag ? [s.flag] : []));
  // A secret's would-be flag is known too: rawValue says why it is not accepted.
  const secretFlags = settingEntries().flatMap(([, s]) => {
    const name = flagNameOf(s.env);
    return s.flag ? [] : [name, `${name}-file`];
  });
  return Object.keys(flags)
    .filter((f) => !valid.includes(f) && !secretFlags.includes(f))
    .map((f) => {
      const near = valid.find((k) => editDistance(k, f) <= 2);
      return {
        variable: `--${f}`,
        message: `Unknown flag --${echo(f)}${near ? ` (did you mean --${near}?)` : ""}. Accepted: ${valid.map((k) => `--${k}`).join(", ")} (secrets only from the environment; see --help).`,
      };
    });
}

/** Levenshtein distance, for suggesting the flag a typo meant. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
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
  const flagName = s.flag ?? flagNameOf(s.env);

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
      message: `Invalid ${fileVar}: cannot read "${echo(file)}" (${reason}). Accepted: a readable file holding ${acceptedText(s.schema)}.`,
    });
    return null;
  }
  if (!content) {
    issues.push({
      variable: fileVar,
      message: `Invalid ${fileVar}: "${echo(file)}" is empty. Accepted: a readable file holding ${acceptedText(s.schema)}.`,
    });
    return null;
  }
  return { value: content, source: "file", label: `${fileVar} (${echo(file)})` };
}

/** The flag a variable would have: SPACEPAY_SECRET_KEY → secret-key. */
function flagNameOf(env: string): string {
  return env
    .replace(/^SPACEPAY_/, "")
    .toLowerCase()
    .replace(/_/g, "-");
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
