// Loading: values come from flags over environment (or a _FILE) over defaults, each parsed by its
// setting's schema, then the rules across settings; every problem is reported at once.
import { readFileSync } from "node:fs";
import { homedir as osHomedir } from "node:os";
import { redact, registerSecret } from "../log.js";
import type { Mode } from "../domain.js";
import type { StateDirContext } from "../state-dir.js";
import { RULES, WITHDRAWAL_TOOL } from "./rules.js";
import { settingEntries, type SettingDef, type SettingKey, type Settings, type Source } from "./settings.js";
import { acceptedText } from "./values.js";

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
  const ctx: StateDirContext = {
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

  const entries = settingEntries();
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
  for (const rule of RULES) {
    const message = rule.check(input);
    if (message) issues.push({ variable: label(rule.about), message });
  }
  if (issues.length) throw new ConfigError(issues);

  const mode: Mode = !v.secretKey ? "demo" : v.secretKey.startsWith("sk_test_") ? "test" : "live";
  return { ...v, mode, withdrawalsEnabled, oauth, sources };
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
