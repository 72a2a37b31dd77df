// The upstream request budget: one token bucket per instance that every background and watch request
// to SpacePay waits for (payment polls, listen baselines, reconciliation, later webhook fetches and the
// order-index sync), so whatever clients do, those stay within SPACEPAY_API_BUDGET_PER_SECOND.
// Interactive tool calls and money calls never take from it. A 429 from SpacePay, on any request
// (the limit is the merchant key's), pauses it for the Retry-After and halves its rate, which then
// recovers linearly.

/** How long grants pause after a 429 that carried no usable Retry-After. */
export const DEFAULT_PAUSE_MS = 1_000;
/** A Retry-After longer than this is read as this: background work resumes, slowly, after it. */
export const MAX_PAUSE_MS = 10 * 60_000;
/** After halving, the rate climbs back by the full budget over this long (additive increase). */
export const RECOVERY_MS = 60_000;
/** However many 429s, the rate stays at least this share of the budget. */
const MIN_SHARE = 1 / 16;

/** What the budget has done since start, for the account resource and metrics. */
export interface BudgetStats {
  /** The configured budget, requests per second. */
  limitPerSecond: number;
  /** The rate granted now: the budget, or less after a 429. */
  ratePerSecond: number;
  /** Requests waiting for a grant now. */
  waiting: number;
  /** Requests that had to wait for their grant (since start). */
  waited: number;
  /** Requests granted (since start). */
  granted: number;
  /** 429 answers seen (since start). */
  throttled: number;
  /** How long grants stay paused by a Retry-After, from now (0 when not paused). */
  pausedMs: number;
}

export interface BudgetClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): unknown };
  clearTimeout(timer: unknown): void;
}

const realClock: BudgetClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};

interface Waiter {
  grant(): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class RequestBudget {
  private readonly limit: number;
  private rate: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: unknown = null;
  private counts = { waited: 0, granted: 0, throttled: 0 };

  /**
   * `perSecond` requests per second, in bursts of up to one second's worth. `onWait` hears each request
   * that has to wait for its grant (the metrics' budget waits); the budget itself knows no telemetry.
   */
  constructor(
    perSecond: number,
    private readonly clock: BudgetClock = realClock,
    private readonly onWait: () => void = () => {},
  ) {
    if (!(perSecond > 0)) throw new RangeError("the request budget must be above 0 per second");
    this.limit = perSecond;
    this.rate = perSecond;
    this.tokens = this.capacity();
    this.last = clock.now();
  }

  /**
   * Resolves when this request may go out (first come, first served); rejects with the signal's
   * reason if it aborts first, and then takes nothing.
   */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.refill();
    if (this.queue.length === 0 && this.ready()) {
      this.tokens -= 1;
      this.counts.granted++;
      return Promise.resolve();
    }
    this.counts.waited++;
    this.onWait();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i !== -1) this.queue.splice(i, 1);
          reject(signal.reason as Error);
          this.schedule();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.schedule();
    });
  }

  /** SpacePay answered 429: pause grants for `retryAfterMs` (or a second) and halve the rate. */
  throttled(retryAfterMs: number | null): void {
    const now = this.clock.now();
    this.refill();
    this.counts.throttled++;
    // Answers to requests already in flight arrive together: one slowdown per pause, not one each.
    if (now >= this.pausedUntil) this.rate = Math.max(this.limit * MIN_SHARE, this.rate / 2);
    const pause = Math.min(MAX_PAUSE_MS, Math.max(0, retryAfterMs ?? DEFAULT_PAUSE_MS));
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    this.tokens = 0;
    this.schedule();
  }

  stats(): BudgetStats {
    this.refill();
    return {
      limitPerSecond: this.limit,
      ratePerSecond: Math.round(this.rate * 1000) / 1000,
      waiting: this.queue.length,
      ...this.counts,
      pausedMs: Math.max(0, Math.ceil(this.pausedUntil - this.clock.now())),
    };
  }

  private capacity(): number {
    return Math.max(1, this.rate);
  }

  private ready(): boolean {
    return this.tokens >= 1 && this.clock.now() >= this.pausedUntil;
  }

  /** Tokens and rate as of now; nothing accrues during a pause. */
  private refill(): void {
    const now = this.clock.now();
    const from = Math.max(this.last, this.pausedUntil);
    if (now > from) {
      const seconds = (now - from) / 1000;
      this.rate = Math.min(this.limit, this.rate + (this.limit * (now - from)) / RECOVERY_MS);
      this.tokens = Math.min(this.capacity(), this.tokens + seconds * this.rate);
    }
    this.last = Math.max(this.last, now);
  }

  /** Grants what can be granted now, and sets one timer for the next grant when someone still waits. */
  private schedule(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.refill();
    while (this.queue.length && this.ready()) {
      const waiter = this.queue.shift()!;
      this.tokens -= 1;
      this.counts.granted++;
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.grant();
    }
    if (!this.queue.length) return;
    const now = this.clock.now();
    const untilToken = ((1 - this.tokens) / this.rate) * 1000;
    const ms = Math.max(this.pausedUntil - now, 0) + Math.max(untilToken, 0);
    const timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.schedule();
      },
      Math.max(1, Math.ceil(ms)),
    );
    // Waiting background work alone does not keep the process alive.
    timer.unref?.();
    this.timer = timer;
  }
}
