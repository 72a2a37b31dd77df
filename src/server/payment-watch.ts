// The one poll loop for payment (and withdrawal) status: wait_for_payment, resources/subscribe (2025)
// and subscriptions/listen (2026-07-28) all watch through it; a withdrawal is watched by its
// watchKey("withdrawal", id) and read with getWithdrawal. Watchers of one payment in a process share
// one loop (one GET per interval however many wait), which stops at a final status
// (isFinalPaymentStatus), when SpacePay no longer knows the payment, or when the last watcher leaves;
// a 429 holds it off for the Retry-After (rateLimitPauseMs) and is no watcher's error.
// It also counts each caller's watches (SPACEPAY_MAX_WATCHES_PER_CALLER): the distinct payments a
// caller watches, by wait_for_payment, resources/subscribe and listen streams together. The loop's
// reads go through the client it is given: the runtime gives it the budgeted view (spacepay/budget.ts).
import type { PaymentStatus, SpacePayApi } from "../spacepay/types.js";
import { isFinalPaymentStatus, PAYMENT_STATUSES } from "../spacepay/wire.js";
import { NotFoundError } from "../spacepay/errors.js";
import { rateLimitPauseMs } from "../spacepay/retry.js";
import { log } from "../log.js";
import { RefusedError } from "./errors.js";

/**
 * The loop's interval is kept within these bounds, whatever a caller configures; the top is
 * SPACEPAY_POLL_INTERVAL_MS's own maximum (with webhooks, polling is only the safety net).
 */
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 600_000;

/** What can be watched: a payment or a withdrawal. */
export type ObjectKind = "payment" | "withdrawal";

/** How the watcher and the watch limit key a watched object: a payment by its id, a withdrawal apart. */
export function watchKey(kind: ObjectKind, id: string): string {
  return kind === "payment" ? id : `withdrawal/${id}`;
}

export interface PaymentListener {
  /** Every status the loop read (changed or not); the last call carries the final status. */
  onStatus(status: PaymentStatus): void;
  /**
   * A failed read. NotFoundError ends the watch; other errors leave it polling. A rate limit (429) is
   * not reported: the loop waits as SpacePay asked and reads again.
   */
  onError?(err: unknown): void;
  /** Payment secret for the polling route, when this watcher has one (the merchant route otherwise). */
  secret?: string;
  /** The watcher closed (the server is stopping): no status will come. */
  onStop?(): void;
}

/** A caller already watches as many payments as it may; nothing was started. */
export class WatchLimitError extends RefusedError {
  constructor(readonly limit: number) {
    super(
      `this caller already watches ${limit} payment${limit === 1 ? "" : "s"}, the most it may (SPACEPAY_MAX_WATCHES_PER_CALLER). Close a listen stream, unsubscribe, or let a wait_for_payment end, then try again.`,
    );
    this.name = "WatchLimitError";
  }
}

export interface PaymentWatcher {
  /**
   * Watch until a final status, a NotFoundError, or `signal` aborts. A withdrawal's statuses are a
   * subset of a payment's, final in the same cases, so one listener shape serves both.
   */
  watch(id: string, listener: PaymentListener, signal: AbortSignal, kind?: ObjectKind): void;
  /**
   * Counts these payments among this caller's watches until `signal` aborts; each entry point holds
   * what its caller watches before it reads or watches anything (one listen loop serves several
   * callers, so `watch` itself counts nobody). A payment the caller already holds costs nothing
   * more. A withdrawal is held by its watchKey. All or nothing: throws WatchLimitError, holding none,
   * when they would pass the limit.
   */
  hold(paymentIds: readonly string[], signal: AbortSignal): void;
  /** This watcher, counting watches against `caller` (the OAuth subject; undefined: the shared caller). */
  forCaller(caller: string | undefined): PaymentWatcher;
  /**
   * A verified webhook event says this payment changed: its watchers hear now, not at the next poll.
   * With `status` (what SpacePay answered the receiver's fetch by id) they get it without another read;
   * without one the loop reads at once. Either way its next poll is a full interval later. Nothing
   * happens when nobody watches the payment.
   */
  wake(id: string, status?: PaymentStatus, kind?: ObjectKind): void;
  /** Payment ids being polled now (tests, and to prove nothing is left polling). */
  active(): number;
  /** Stops every loop and tells each watcher (onStop), now and on any later watch: the server is stopping. */
  close(): void;
}

interface Loop {
  id: string;
  kind: ObjectKind;
  /** Its own poll; null when the sweep (WatcherOptions.sweep) reads every watched payment at once. */
  timer: NodeJS.Timeout | null;
  /** The poll: restarted by a wake, so an event's read is not followed by a poll moments later. */
  restart(): void;
  listeners: Set<PaymentListener>;
  busy: boolean;
  /** No read before this time (Date.now()): SpacePay rate limited the last one. */
  notBefore: number;
  /** 429s in a row, for the backoff when one says no Retry-After. */
  limited: number;
  /** Aborted when the loop stops: a read still waiting for the budget is dropped, not sent. */
  stopped: AbortController;
}

export interface WatcherOptions {
  /** Distinct payments one caller may watch at once (the runtime gives SPACEPAY_MAX_WATCHES_PER_CALLER; no limit without). */
  maxWatchesPerCaller?: number;
  /**
   * The safety net where webhook events wake watchers (config.webhookEvents): instead of a GET per
   * watched payment, each interval lists the open payments (pending, then processing: one request each
   * for up to 1,000) and reads by id only the watched ones not listed, which changed or are older than
   * the pages read. 500 watched payments cost about two requests a minute, not 500.
   */
  sweep?: boolean;
}

/** The statuses a watched payment can still leave; the sweep lists each. */
const OPEN_STATUSES = PAYMENT_STATUSES.filter((s) => !isFinalPaymentStatus(s));
/** Pages of 1,000 the sweep reads per status before falling back to reads by id. */
const SWEEP_PAGES = 5;
const SWEEP_PAGE = 1_000;

/**
 * A payment's or withdrawal's status now (a withdrawal's statuses are a subset of a payment's); with a
 * payment's secret, through the route meant for polling.
 */
export async function readStatus(
  api: SpacePayApi,
  { kind, id }: { kind: ObjectKind; id: string },
  opts?: { signal?: AbortSignal },
  secret?: string,
): Promise<PaymentStatus> {
  if (kind === "withdrawal") return (await api.getWithdrawal(id, opts)).data.status;
  return secret
    ? (await api.getPaymentStatus(id, secret, opts)).data.status
    : (await api.getPayment(id, opts)).data.status;
}

export function createPaymentWatcher(
  api: SpacePayApi,
  intervalMs: number,
  opts: WatcherOptions = {},
): PaymentWatcher {
  const every = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, intervalMs));
  const maxWatches = opts.maxWatchesPerCaller ?? Infinity;
  const loops = new Map<string, Loop>();
  /** Per caller, how many holds each watched payment has. */
  const held = new Map<string | undefined, Map<string, number>>();
  let closed = false;

  const stop = (id: string) => {
    const loop = loops.get(id);
    if (loop) {
      if (loop.timer) clearInterval(loop.timer);
      loop.stopped.abort();
    }
    loops.delete(id);
  };

  // The payment-secret route is meant for polling; any watcher's secret serves them all.
  const read = (loop: Loop): Promise<PaymentStatus> =>
    readStatus(api, loop, { signal: loop.stopped.signal }, [...loop.listeners].find((l) => l.secret)?.secret);

  const hold = (caller: string | undefined, paymentIds: readonly string[], signal: AbortSignal) => {
    if (signal.aborted) return;
    const ids = [...new Set(paymentIds)];
    const mine = held.get(caller) ?? new Map<string, number>();
    const added = ids.filter((id) => !mine.has(id)).length;
    if (added && mine.size + added > maxWatches) throw new WatchLimitError(maxWatches);
    for (const id of ids) mine.set(id, (mine.get(id) ?? 0) + 1);
    held.set(caller, mine);
    signal.addEventListener(
      "abort",
      () => {
        for (const id of ids) {
          const left = (mine.get(id) ?? 1) - 1;
          if (left > 0) mine.set(id, left);
          else mine.delete(id);
        }
        if (mine.size === 0 && held.get(caller) === mine) held.delete(caller);
      },
      { once: true },
    );
  };

  const announce = (id: string, loop: Loop, status: PaymentStatus) => {
    if (isFinalPaymentStatus(status)) stop(id);
    for (const l of [...loop.listeners]) l.onStatus(status);
  };

  const tick = async (id: string) => {
    const loop = loops.get(id);
    if (!loop || loop.busy || Date.now() < loop.notBefore) return;
    loop.busy = true;
    try {
      const status = await read(loop);
      loop.limited = 0;
      announce(id, loop, status);
    } catch (err) {
      // The loop stopped while its read waited for the budget: nobody is listening any more.
      if (loop.stopped.signal.aborted) return;
      const pauseMs = rateLimitPauseMs(err, ++loop.limited);
      if (pauseMs !== null) {
        loop.notBefore = Date.now() + pauseMs;
        log("debug", `payment poll for ${id} rate limited: next read in ${pauseMs} ms`);
        return;
      }
      loop.limited = 0;
      // Gone (deleted, or another merchant's after a key change): it will not come back.
      if (err instanceof NotFoundError) stop(id);
      log("debug", `${loop.kind} poll for ${loop.id} failed`, {
        error: err instanceof Error ? err.name : String(err),
      });
      for (const l of [...loop.listeners]) l.onError?.(err);
    } finally {
      loop.busy = false;
    }
  };

  // The sweep: one list request per open status per interval for every watched payment.
  const sweepStop = new AbortController();
  let sweeping = false;
  const sweep = async () => {
    if (sweeping || loops.size === 0) return;
    sweeping = true;
    try {
      const listed = new Map<string, PaymentStatus>();
      for (const status of OPEN_STATUSES) {
        for (let page = 0; page < SWEEP_PAGES; page++) {
          const { data } = await api.listPayments(
            { status, limit: SWEEP_PAGE, offset: page * SWEEP_PAGE },
            { signal: sweepStop.signal },
          );
          for (const p of data.data) if (loops.has(p.id)) listed.set(p.id, p.status);
          if (!data.pagination.hasMore) break;
        }
      }
      for (const [id, loop] of [...loops]) {
        const status = listed.get(id);
        if (status) announce(id, loop, status);
        else void tick(id);
      }
    } catch (err) {
      // The next sweep tries again (a 429 has paused the budget meanwhile); events still wake watchers.
      if (!sweepStop.signal.aborted)
        log("debug", "payment sweep failed", { error: err instanceof Error ? err.name : String(err) });
    } finally {
      sweeping = false;
    }
  };
  const sweepTimer = opts.sweep ? setInterval(() => void sweep(), every) : null;
  sweepTimer?.unref();

  const watch = (
    id: string,
    listener: PaymentListener,
    signal: AbortSignal,
    kind: ObjectKind = "payment",
  ) => {
    const paymentId = watchKey(kind, id);
    if (signal.aborted) return;
    // A watch begun after the stop started (its request was already in flight) ends at once too.
    if (closed) return listener.onStop?.();
    let loop = loops.get(paymentId);
    if (!loop) {
      // The loop polls with the client it was given (budgeted, no caller's log): it serves every
      // watcher and outlives the request that happened to start it.
      const poll = () => {
        if (opts.sweep) return null;
        const timer = setInterval(() => void tick(paymentId), every);
        timer.unref();
        return timer;
      };
      const created: Loop = {
        id,
        kind,
        timer: poll(),
        restart: () => {
          if (created.timer) clearInterval(created.timer);
          created.timer = poll();
        },
        listeners: new Set(),
        busy: false,
        notBefore: 0,
        limited: 0,
        stopped: new AbortController(),
      };
      loop = created;
      loops.set(paymentId, loop);
    }
    const joined = loop;
    joined.listeners.add(listener);
    signal.addEventListener(
      "abort",
      () => {
        joined.listeners.delete(listener);
        if (joined.listeners.size === 0 && loops.get(paymentId) === joined) stop(paymentId);
      },
      { once: true },
    );
  };

  const view = (caller: string | undefined): PaymentWatcher => ({
    watch,
    hold: (paymentIds, signal) => hold(caller, paymentIds, signal),
    forCaller: view,
    wake(id, status, kind = "payment") {
      const paymentId = watchKey(kind, id);
      const loop = loops.get(paymentId);
      if (!loop) return;
      loop.restart();
      if (status === undefined) void tick(paymentId);
      else announce(paymentId, loop, status);
    },
    active: () => loops.size,
    close() {
      closed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      sweepStop.abort();
      for (const [id, loop] of [...loops]) {
        stop(id);
        for (const l of [...loop.listeners]) l.onStop?.();
      }
    },
  });
  return view(undefined);
}
