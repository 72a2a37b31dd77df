// The log of API requests the simulator received, for tests to assert what a client sent. Credentials
// are masked before they are stored: only their last four characters are kept.
import type { IncomingHttpHeaders } from "node:http";

export interface RecordedRequest {
  requestId: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Lower-cased names; credential headers masked as `***` plus the last four characters. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text when it was not JSON, or null when empty. */
  body: unknown;
  /** Simulator-clock time (ISO). */
  receivedAt: string;
}

const SECRET_HEADERS = new Set([
  "x-spacepay-secret-key",
  "x-spacepay-payment-secret",
  "authorization",
  "cookie",
]);

export function maskSecret(value: string): string {
  const bearer = /^Bearer\s+/i.exec(value);
  const prefix = bearer ? bearer[0] : "";
  const secret = value.slice(prefix.length);
  return `${prefix}***${secret.length >= 12 ? secret.slice(-4) : ""}`;
}

export function maskHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(", ") : raw;
    out[name] = SECRET_HEADERS.has(name) ? maskSecret(value) : value;
  }
  return out;
}

export class Recorder {
  private entries: RecordedRequest[] = [];
  /** Requests recorded since the last clear, including ones trimmed from the log. */
  total = 0;

  constructor(private readonly max: number) {}

  record(entry: RecordedRequest): void {
    this.entries.push(entry);
    this.total++;
    // Trim in batches so a long benchmark does not pay for a shift on every request.
    if (this.entries.length > this.max * 2) this.entries = this.entries.slice(-this.max);
  }

  list(): RecordedRequest[] {
    return this.entries.slice(-this.max);
  }

  clear(): void {
    this.entries = [];
    this.total = 0;
  }
}

export function queryObject(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(q.keys())) {
    const all = q.getAll(key);
    out[key] = all.length === 1 ? (all[0] as string) : all;
  }
  return out;
}
