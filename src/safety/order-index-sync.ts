// What fills the order index and what lookups ask of it. Four sources: payments this server creates
// and verified webhook events (record), an incremental sync from the newest payment down to the last
// one known (before each lookup), and a one-time backfill of older history, newest first, resumed
// where it stopped. Both reads go through the upstream budget (the budgeted client), so they never
// crowd out interactive calls; the backfill runs on one instance at a time (the store's lock).
import { log } from "../log.js";
import { cleanText } from "../text.js";
import type { Payment, SpacePayApi } from "../spacepay/types.js";
import type { IndexCoverage, IndexedPayment, OrderIndexStore } from "./order-index.js";

/** Payments per backfill page: the API's largest. */
export const BACKFILL_PAGE = 1000;
/** The incremental sync's first page: usually little is new. */
const SYNC_FIRST_PAGE = 100;
/** How often an instance that found the backfill taken looks again (its holder may have died). */
const LOCK_RETRY_MS = 30_000;

/** What spacepay://account and the metrics show. */
export interface OrderIndexStats {
  /** Payments indexed. */
  payments: number;
  /** The index covers all history. */
  complete: boolean;
  /** ISO createdAt down to which the index holds every payment; null before the backfill's first page. */
  coversSince: string | null;
}

/** A payment's facts as the webhook receiver and create_payment have them. */
export interface PaymentFacts {
  id: string;
  orderId: string | null | undefined;
  /** ISO time or epoch ms. */
  createdAt: string | number;
  type: string;
}

/** What a lookup may rely on: every payment created since `coversSince` (all, when complete) is indexed. */
export interface IndexCover {
  complete: boolean;
  /** Epoch ms. */
  coversSince: number | null;
  /** Where the rest begins in SpacePay's newest-first list: a scan for older payments starts here. */
  restOffset: number;
  byOrder(orderId: string): Promise<IndexedPayment[]>;
  inRange(after: number | null, before: number | null, ascending: boolean): Promise<IndexedPayment[]>;
}

export interface OrderIndex {
  /** Records one payment's immutable facts (the webhook receiver's hook; create_payment's too). */
  record(payment: PaymentFacts): Promise<void>;
  /**
   * Brings the index up to now (the incremental sync; one at a time, later callers share it) and
   * answers what it covers; null when it covers nothing yet or the state store is unavailable.
   */
  cover(): Promise<IndexCover | null>;
  /** Reads the figures and starts the backfill in the background (once). */
  start(): void;
  /** The last figures seen (read synchronously by the account resource and the metrics). */
  stats(): OrderIndexStats;
  /** Stops the backfill (it resumes at the next start) and waits for it. */
  close(): Promise<void>;
}

export interface OrderIndexOptions {
  /** The state store's index, opened on first use. */
  store: () => Promise<OrderIndexStore>;
  /** The budgeted client: every sync and backfill request waits for the upstream budget. */
  api: SpacePayApi;
  /** SPACEPAY_INDEX_BACKFILL_MAX: payments the backfill reads at most (0: no backfill). */
  backfillMax: number;
}

// Order ids are kept as lookups compare them: cleaned of invisible characters, as the model sees them.
const orderKey = (orderId: string | null | undefined) => (orderId == null ? null : cleanText(orderId));

const facts = (p: Payment): IndexedPayment => ({
  id: p.id,
  orderId: orderKey(p.orderId),
  createdAt: Date.parse(p.createdAt),
  type: p.type,
});

export function createOrderIndex(opts: OrderIndexOptions): OrderIndex {
  const stop = new AbortController();
  let figures: OrderIndexStats = { payments: 0, complete: false, coversSince: null };
  let syncing: Promise<IndexCoverage> | null = null;
  let backfilling: Promise<void> | null = null;

  // The payments figure is counted in the store (COUNT(*)) only at start and while another instance
  // backfills; otherwise it is kept up by what this instance's own records add.
  let payments = 0;
  const show = (c: IndexCoverage) => {
    figures = {
      payments,
      complete: c.complete,
      coversSince: c.tailAt === null ? null : new Date(c.tailAt).toISOString(),
    };
  };
  const recount = async (store: OrderIndexStore, cov?: IndexCoverage) => {
    const c = cov ?? (await store.coverage());
    payments = await store.count();
    show(c);
  };
  const add = async (store: OrderIndexStore, rows: readonly IndexedPayment[]) => {
    // Read after the insert: `payments += await …` would read it before, losing concurrent events' adds.
    const added = await store.record(rows);
    payments += added;
  };

  const covers = (c: IndexCoverage) => c.complete || c.tailAt !== null;

  /** Newest first from the top of the list down to the newest payment already known. */
  async function syncHead(store: OrderIndexStore, signal: AbortSignal): Promise<IndexCoverage> {
    const cov = await store.coverage();
    // Before the backfill's first page there is no head to reach; the backfill sets it.
    if (!covers(cov)) return cov;
    let offset = 0;
    let newest = cov.headAt;
    for (let limit = SYNC_FIRST_PAGE; ; limit = BACKFILL_PAGE) {
      const res = await opts.api.listPayments(
        { limit, offset, sortBy: "createdAt", sortOrder: "DESC" },
        { signal },
      );
      const batch = res.data.data;
      await add(store, batch.map(facts));
      if (offset === 0 && batch[0]) newest = Math.max(newest ?? 0, Date.parse(batch[0].createdAt));
      offset += batch.length;
      const last = batch.at(-1);
      // Down to one older than the known head: everything at or after it has now been seen.
      if (!last || !res.data.pagination.hasMore) break;
      if (cov.headAt !== null && Date.parse(last.createdAt) < cov.headAt) break;
    }
    const next = { ...cov, headAt: newest };
    if (newest !== cov.headAt) await store.advance({ headAt: newest });
    show(next);
    return next;
  }

  async function backfill(store: OrderIndexStore): Promise<void> {
    const signal = stop.signal;
    while (!signal.aborted) {
      let cov = await store.coverage();
      if (cov.complete || cov.backfilled >= opts.backfillMax) return recount(store, cov);
      const release = await store.lockBackfill().catch((err: Error) => {
        log("warn", `order index: backfill lock unavailable: ${err.message}`);
        return null;
      });
      if (!release) {
        // Another instance (or process) is at it; look again later, in case it stops.
        await recount(store, cov);
        await sleep(LOCK_RETRY_MS, signal);
        continue;
      }
      try {
        for (;;) {
          // Re-read under the lock: another holder may have moved it on before we took it.
          cov = await store.coverage();
          if (signal.aborted || cov.complete || cov.backfilled >= opts.backfillMax) break;
          const res = await opts.api.listPayments(
            {
              limit: Math.min(BACKFILL_PAGE, opts.backfillMax - cov.backfilled),
              offset: cov.backfillOffset,
              sortBy: "createdAt",
              sortOrder: "DESC",
            },
            { signal },
          );
          const batch = res.data.data;
          // Rows first, then the position: a crash between the two reads the page again, harmlessly.
          await add(store, batch.map(facts));
          const oldest = batch.at(-1);
          const next: Omit<IndexCoverage, "headAt"> = {
            tailAt: oldest ? Math.min(cov.tailAt ?? Infinity, Date.parse(oldest.createdAt)) : cov.tailAt,
            // New payments push older ones further down the list: a resumed page may repeat some, never skip any.
            backfillOffset: cov.backfillOffset + batch.length,
            backfilled: cov.backfilled + batch.length,
            complete: !oldest || !res.data.pagination.hasMore,
          };
          // The head is the incremental sync's once set: only the first page places it.
          const head = cov.headAt === null && batch[0] ? { headAt: Date.parse(batch[0].createdAt) } : {};
          await store.advance({ ...next, ...head });
          show({ headAt: cov.headAt, ...next, ...head });
        }
      } catch (err) {
        // SpacePay or the store failed: try again later, from where it stopped.
        if (!signal.aborted) log("warn", `order index: backfill paused: ${(err as Error).message}`);
        await release().catch(() => {});
        await sleep(LOCK_RETRY_MS, signal);
        continue;
      }
      await release().catch(() => {});
      cov = await store.coverage();
      if (!cov.complete && cov.backfilled >= opts.backfillMax && !signal.aborted) {
        log(
          "warn",
          `order index: backfill stopped at SPACEPAY_INDEX_BACKFILL_MAX (${opts.backfillMax}) payments`,
          {
            coversSince: figures.coversSince,
          },
        );
      }
    }
  }

  return {
    async record(p) {
      const createdAt = typeof p.createdAt === "number" ? p.createdAt : Date.parse(p.createdAt);
      if (!p.id || !Number.isFinite(createdAt)) return;
      const store = await opts.store();
      await add(store, [{ id: p.id, orderId: orderKey(p.orderId), createdAt, type: p.type }]);
      figures = { ...figures, payments };
    },
    async cover() {
      let store: OrderIndexStore;
      let cov: IndexCoverage;
      try {
        store = await opts.store();
        // One sync at a time; a lookup arriving during one shares it (so no caller's cancel ends it).
        syncing ??= syncHead(store, stop.signal).finally(() => (syncing = null));
        cov = await syncing;
      } catch (err) {
        // The lookup falls back to scanning, which reports SpacePay's own error if it is down.
        log("warn", `order index unavailable for this lookup: ${(err as Error).message}`);
        return null;
      }
      if (!covers(cov)) return null;
      return {
        complete: cov.complete,
        coversSince: cov.tailAt,
        restOffset: cov.backfillOffset,
        byOrder: (orderId) => store.byOrder(orderId),
        inRange: (after, before, ascending) => store.inRange(after, before, ascending),
      };
    },
    start() {
      if (stop.signal.aborted) return;
      backfilling ??= opts
        .store()
        .then(async (store) => {
          await recount(store);
          if (opts.backfillMax > 0) await backfill(store);
        })
        .catch((err: Error) => {
          if (!stop.signal.aborted) log("warn", `order index: backfill stopped: ${err.message}`);
        });
    },
    stats: () => figures,
    async close() {
      stop.abort();
      await backfilling;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // An abort event fires once: a request cut by close() lands here already aborted, and waiting out
    // the pause would hold close() (and the process's exit) for it.
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    t.unref();
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
