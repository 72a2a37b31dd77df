// The stderr logger: stdout is the MCP protocol channel, so this is the only place that prints
// diagnostics. Every line starts with (text) or carries (JSON) an ISO timestamp. Secrets the server
// obtained itself are registered once and masked in every line; a field named like a secret is masked
// whatever its value. The guard logs each money call's outcome at info (safety/send.ts), the HTTP
// edge each 401/403 (http/edge.ts).

export type LogLevel = "debug" | "info" | "warn" | "error";
/** `text`: one readable line per entry (a multi-line message repeats the prefix); `json`: one object per line. */
export type LogFormat = "text" | "json";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets = new Set<string>();
let threshold: LogLevel = "info";
let format: LogFormat = "text";
/** The trace of the work being logged; telemetry installs one while tracing is on, nothing otherwise. */
let currentTraceId: () => string | undefined = () => undefined;

/**
 * Registers a value that must never be printed: only values the server obtained itself (configured
 * credentials, payment secrets SpacePay returned), never text a caller passed, which could be anything.
 */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) secrets.add(value);
}

/** Replaces every registered secret in `text` with a mask. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join("[redacted]");
  return out;
}

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function setLogFormat(value: LogFormat): void {
  format = value;
}

/** Where the format is set: the settings table's row (src/config/settings.ts) uses these names too. */
export const LOG_FORMAT_SOURCE = { env: "SPACEPAY_LOG_FORMAT", flag: "log-format" } as const;

/**
 * Takes the format from the raw flag or variable (the flag wins, as in the configuration), before the
 * configuration is loaded: the lines written before then (a configuration problem, a warm start that
 * stops without ever loading it) must follow the format an operator's log pipeline parses. Anything
 * but `json` leaves text; the loaded configuration validates the value and sets it again.
 */
export function presetLogFormat(
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
): void {
  const flag = flags[LOG_FORMAT_SOURCE.flag];
  const raw = typeof flag === "string" && flag.trim() ? flag : env[LOG_FORMAT_SOURCE.env];
  if (raw?.trim().toLowerCase() === "json") format = "json";
}

/** Telemetry (src/telemetry.ts) names the active trace, so a line can be found from its trace. */
export function setTraceIdSource(source: () => string | undefined): void {
  currentTraceId = source;
}

/** Whether `level` would be written: lets a hot path skip building a message nobody reads. */
export function logEnabled(level: LogLevel): boolean {
  return order[level] >= order[threshold];
}

export function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (!logEnabled(level)) return;
  const time = new Date().toISOString();
  const traceId = currentTraceId();
  let line: string;
  if (format === "json") {
    // The entry's own keys come first and cannot be overwritten by a field of the same name.
    const entry: Record<string, unknown> = { time, level, msg: redact(message) };
    for (const [k, v] of Object.entries(fields ?? {})) if (!(k in entry)) entry[k] = v;
    if (traceId) entry.trace_id = traceId;
    line = safeJson(entry);
  } else {
    const extra = (fields ? " " + safeJson(fields) : "") + (traceId ? ` trace_id=${traceId}` : "");
    const prefix = `${time} [spacepay-mcp] ${level}: `;
    line = prefix + `${message}${extra}`.split("\n").join(`\n${prefix}`);
  }
  console.error(redact(line));
}

/** Field names whose values are masked in any log line, whoever supplied the value. */
const SENSITIVE_FIELD = /secret|token|password|authorization/i;

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (key, v: unknown) =>
      key !== "" && SENSITIVE_FIELD.test(key) && v !== null && v !== undefined ? "[redacted]" : v,
    );
  } catch {
    return "[unserialisable]";
  }
}
