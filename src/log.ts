// The stderr logger: stdout is the MCP protocol channel, so this is the only place that prints
// diagnostics. Secrets the server obtained itself are registered once and masked in every line; a
// field named like a secret is masked whatever its value.

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets = new Set<string>();
let threshold: LogLevel = "info";

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

/** Whether `level` would be written: lets a hot path skip building a message nobody reads. */
export function logEnabled(level: LogLevel): boolean {
  return order[level] >= order[threshold];
}

export function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (!logEnabled(level)) return;
  const extra = fields ? " " + safeJson(fields) : "";
  console.error(redact(`[spacepay-mcp] ${level}: ${message}${extra}`));
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
