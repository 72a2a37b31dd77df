// Idempotency-Key handling: the same key and body replays the first response; a different body, or a
// repeat while the first is still in flight, is a 409.
import { ApiError } from "./errors.js";

export interface Entry {
  fingerprint: string;
  done: boolean;
  status: number;
  body: string;
}

export type IdempotencyOutcome =
  | { kind: "replay"; status: number; body: string }
  | { kind: "new"; finish(status: number, body: string): void; abandon(): void };

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  /** Claims `key` within `scope` for a request whose parsed body is `body`. Throws a 409 ApiError on conflict. */
  begin(scope: string, key: string, body: unknown): IdempotencyOutcome {
    const id = `${scope}\u0000${key}`;
    const fingerprint = stableJson(body ?? {});
    const existing = this.entries.get(id);
    if (existing) {
      if (!existing.done) {
        throw new ApiError(
          409,
          "idempotency_error",
          "idempotency_key_in_use",
          "A request with this Idempotency-Key is still being processed",
        );
      }
      if (existing.fingerprint !== fingerprint) {
        throw new ApiError(
          409,
          "idempotency_error",
          "idempotency_key_reused",
          "This Idempotency-Key was already used with a different request body",
        );
      }
      return { kind: "replay", status: existing.status, body: existing.body };
    }
    const entry: Entry = { fingerprint, done: false, status: 0, body: "" };
    this.entries.set(id, entry);
    return {
      kind: "new",
      finish: (status, text) => {
        // Server errors are not remembered, so a retry can succeed.
        if (status >= 500) {
          this.entries.delete(id);
          return;
        }
        entry.done = true;
        entry.status = status;
        entry.body = text;
      },
      abandon: () => {
        if (!entry.done) this.entries.delete(id);
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }

  /** Finished entries, for saving (one still in flight is not an outcome yet). */
  finished(): Array<[string, Entry]> {
    return [...this.entries].filter(([, e]) => e.done);
  }

  restore(entries: ReadonlyArray<[string, Entry]>): void {
    for (const [id, e] of entries) this.entries.set(id, e);
  }
}

/** JSON with object keys sorted, so key order does not change a request's identity. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(",")}}`;
}
