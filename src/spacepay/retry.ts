// The retry policy: which failures are worth another attempt, how long to wait (jittered
// exponential backoff, or what Retry-After asks), and the bounded total budget for all of it.
import { RateLimitError, type SpacePayError } from "./errors.js";
import { MAX_PAUSE_MS } from "./budget.js";

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

/** Where a call stands when an attempt has failed. */
export interface RetryState {
  method: "GET" | "POST";
  idempotencyKey: string | undefined;
  /** The attempt that just failed (1 = the first). */
  attempt: number;
  maxRetries: number;
  /** Time spent on attempts and waits so far, and the most they may take together. */
  spentMs: number;
  budgetMs: number;
  /** [0, 1), for the jitter. */
  random: () => number;
}

/** The retry decision: how long to wait before trying `error`'s request again, or null when it is final. */
export function retryDelay(error: SpacePayError, s: RetryState): number | null {
  // A POST repeated without a key could create a second payment; with one, the API replays.
  const mayRetry = s.method === "GET" || s.idempotencyKey !== undefined;
  if (!error.retryable || !mayRetry || s.attempt > s.maxRetries) return null;
  // retryAfterMs (when the API sent it) says how long; a wait past the budget is not worth starting.
  const wait = error.retryAfterMs ?? backoffMs(s.attempt, s.random);
  return wait > s.budgetMs - s.spentMs ? null : wait;
}

/**
 * How long work that goes on after a request's own retries gave up (a wait, a poll loop) holds off
 * when SpacePay rate limited it: the Retry-After (at most MAX_PAUSE_MS), or the backoff for the
 * `times`th 429 in a row. Null for any other failure.
 */
export function rateLimitPauseMs(
  error: unknown,
  times: number,
  random: () => number = Math.random,
): number | null {
  if (!(error instanceof RateLimitError)) return null;
  return Math.min(MAX_PAUSE_MS, error.retryAfterMs ?? backoffMs(times, random));
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

/** Sleeps `ms` but rejects as soon as `signal` aborts, even if an injected `sleep` ignores it. */
export function pause(sleep: Sleep, ms: number, signal: AbortSignal | undefined): Promise<void> {
  const p = sleep(ms, signal);
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
