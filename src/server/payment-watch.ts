// The one poll loop for payment status: wait_for_payment, resources/subscribe (2025) and
// subscriptions/listen (2026-07-28) all watch through it. Watchers of one payment in a process share
// one loop (one GET per interval however many wait), which stops at a final status
// (isFinalPaymentStatus), when SpacePay no longer knows the payment, or when the last watcher leaves.
import type { PaymentStatus, SpacePayApi } from "../spacepay/types.js";
import { isFinalPaymentStatus } from "../spacepay/wire.js";
import { NotFoundError } from "../spacepay/errors.js";
import { log } from "../log.js";

/** The loop's interval is kept within these bounds, whatever a caller configures. */
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 60_000;

export interface PaymentListener {
  /** Every status the loop read (changed or not); the last call carries the final status. */
  onStatus(status: PaymentStatus): void;
  /** A failed read. NotFoundError ends the watch; other errors leave it polling. */
  onError?(err: unknown): void;
  /** Payment secret for the polling route, when this watcher has one (the merchant route otherwise). */
  secret?: string;
  /** The watcher closed (the server is stopping): no status will come. */
  onStop?(): void;
}

export interface PaymentWatcher {
  /** Watch until a final status, a NotFoundError, or `signal` aborts. */
  watch(paymentId: string, listener: PaymentListener, signal: AbortSignal): void;
  /** Payment ids being polled now (tests, and to prove nothing is left polling). */
  active(): number;
  /** Stops every loop and tells each watcher (onStop), now and on any later watch: the server is stopping. */
  close(): void;
}

interface Loop {
  timer: NodeJS.Timeout;
  listeners: Set<PaymentListener>;
  busy: boolean;
}

export function createPaymentWatcher(api: SpacePayApi, intervalMs: number): PaymentWatcher {
  const every = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, intervalMs));
  const loops = new Map<string, Loop>();
  let closed = false;

  const stop = (id: string) => {
    const loop = loops.get(id);
    if (loop) clearInterval(loop.timer);
    loops.delete(id);
  };

  const read = async (id: string, loop: Loop): Promise<PaymentStatus> => {
    // The payment-secret route is meant for polling; any watcher's secret serves them all.
    const secret = [...loop.listeners].find((l) => l.secret)?.secret;
    return secret
      ? (await api.getPaymentStatus(id, secret)).data.status
      : (await api.getPayment(id)).data.status;
  };

  const tick = async (id: string) => {
    const loop = loops.get(id);
    if (!loop || loop.busy) return;
    loop.busy = true;
    try {
      const status = await read(id, loop);
      const final = isFinalPaymentStatus(status);
      if (final) stop(id);
      for (const l of [...loop.listeners]) l.onStatus(status);
    } catch (err) {
      // Gone (deleted, or another merchant's after a key change): it will not come back.
      if (err instanceof NotFoundError) stop(id);
      log("debug", `payment poll for ${id} failed`, { error: err instanceof Error ? err.name : String(err) });
      for (const l of [...loop.listeners]) l.onError?.(err);
    } finally {
      loop.busy = false;
    }
  };

  return {
    watch(paymentId, listener, signal) {
      if (signal.aborted) return;
      // A watch begun after the stop started (its request was already in flight) ends at once too.
      if (closed) return listener.onStop?.();
      let loop = loops.get(paymentId);
      if (!loop) {
        // The loop polls with the plain client (no caller's log): it serves every watcher and outlives
        // the request that happened to start it.
        const timer = setInterval(() => void tick(paymentId), every);
        timer.unref();
        loop = { timer, listeners: new Set(), busy: false };
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
    },
    active: () => loops.size,
    close() {
      closed = true;
      for (const [id, loop] of [...loops]) {
        stop(id);
        for (const l of [...loop.listeners]) l.onStop?.();
      }
    },
  };
}
