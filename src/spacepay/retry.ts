// The retry policy: which failures are worth another attempt, how long to wait (jittered
// exponential backoff, or what Retry-After asks), and the bounded total budget for all of it.

/** Waits `ms`, rejecting early when `signal` aborts. Injectable so tests need not wait. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const INITIAL_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 8_000;
export const DEFAULT_RETRY_BUDGET_MS = 30_000;

/** Statuses for which the same request may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Backoff before retry number `retry` (1 = first retry): 0.5 s doubling to 8 s, less up to 25 %
 * jitter so that many clients do not retry in lockstep. `random` returns [0, 1).
 */
export function backoffMs(retry: number, random: () => number): number {
  const base = Math.min(INITIAL_BACKOFF_MS * 2 ** Math.max(0, retry - 1), MAX_BACKOFF_MS);
  return Math.round(base * (1 - random() * 0.25));
}

/**
 * What the server asked us to wait, in ms: `retry-after-ms`, or `Retry-After` as delta-seconds or an
 * HTTP date. Null when absent or unreadable.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  headerMs: string | null | undefined,
  now: number,
): number | null {
  if (headerMs && /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(headerMs)) return Math.ceil(Number(headerMs));
  if (!header) return null;
  const text = header.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
