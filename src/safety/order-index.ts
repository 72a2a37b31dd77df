// The order index in the state store: orderId → payment ids with createdAt and type, the facts about a
// payment that never change (status is always read live). One schema and one set of statements for
// SQLite and PostgreSQL, like approvals.ts; what differs (the backfill's lock) is passed in.
import { hostname } from "node:os";
import type { SqlRunner } from "./approvals.js";

/** The schema, written once: each backend renders `@INT` as its integer type (like confirmations and calls). */
export const ORDER_INDEX_SCHEMA = `
  CREATE TABLE order_index (
    payment_id TEXT PRIMARY KEY,
    -- Cleaned of invisible characters (src/text.ts), as lookups compare it; NULL when there is none.
    order_id   TEXT,
    -- SpacePay's createdAt, epoch ms.
    created_at @INT NOT NULL,
    type       TEXT NOT NULL
  );
  CREATE INDEX order_index_order ON order_index (order_id);
  CREATE INDEX order_index_created ON order_index (created_at);
  -- One row: how far the index reaches. head_at..now is kept by the incremental sync, tail_at..head_at
  -- by the backfill (newest first, resumed at backfill_offset); complete once it reached the oldest.
  CREATE TABLE order_index_sync (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    head_at         @INT,
    tail_at         @INT,
    backfill_offset @INT NOT NULL DEFAULT 0,
    backfilled      @INT NOT NULL DEFAULT 0,
    complete        INTEGER NOT NULL DEFAULT 0,
    -- SQLite's backfill lease (PostgreSQL holds an advisory lock instead): pid@host and until when.
    lease_owner     TEXT,
    lease_until     @INT
  );
  INSERT INTO order_index_sync (id) VALUES (1);`;

/** One payment's immutable facts. */
export interface IndexedPayment {
  id: string;
  orderId: string | null;
  /** Epoch ms. */
  createdAt: number;
  type: string;
}

/** How far the index reaches (the sync row). */
export interface IndexCoverage {
  /** createdAt of the newest payment the incremental sync has seen; null before the first page. */
  headAt: number | null;
  /** createdAt down to which the index holds every payment; null before the first page. */
  tailAt: number | null;
  /** Where the backfill resumes in SpacePay's newest-first list. */
  backfillOffset: number;
  /** Payments the backfill has read (SPACEPAY_INDEX_BACKFILL_MAX bounds it). */
  backfilled: number;
  /** The backfill reached the oldest payment: the index covers all history. */
  complete: boolean;
}

export interface OrderIndexStore {
  /** Adds payments; one already indexed is left as it is (its facts cannot change). Resolves to how many were new. */
  record(payments: readonly IndexedPayment[]): Promise<number>;
  byOrder(orderId: string): Promise<IndexedPayment[]>;
  /** Payments created in [after, before) (either may be null), newest first unless `ascending`. */
  inRange(after: number | null, before: number | null, ascending: boolean): Promise<IndexedPayment[]>;
  count(): Promise<number>;
  coverage(): Promise<IndexCoverage>;
  /** Moves the coverage on; only the fields given change. */
  advance(change: Partial<IndexCoverage>): Promise<void>;
  /**
   * The backfill's lock: a release function when this process now holds it, null when another one
   * does. Released by `release`, or when the holder dies (connection closed, or lease run out).
   */
  lockBackfill(): Promise<(() => Promise<void>) | null>;
  /** Empties the index: the next start backfills again. */
  reset(): Promise<void>;
}

const SQL = {
  insert: "INSERT INTO order_index (payment_id, order_id, created_at, type) VALUES",
  byOrder: "SELECT * FROM order_index WHERE order_id = @orderId ORDER BY created_at DESC",
  count: "SELECT COUNT(*) AS n FROM order_index",
  coverage: "SELECT * FROM order_index_sync WHERE id = 1",
  clear: "DELETE FROM order_index",
  resetSync: `UPDATE order_index_sync SET head_at = NULL, tail_at = NULL, backfill_offset = 0, backfilled = 0,
              complete = 0 WHERE id = 1`,
  // Taken when free, run out, or already ours; the holder renews it after every page.
  lease: `UPDATE order_index_sync SET lease_owner = @owner, lease_until = @until
          WHERE id = 1 AND (lease_owner IS NULL OR lease_until < @now OR lease_owner = @owner OR lease_owner = @dead)`,
  leaseOwner: "SELECT lease_owner FROM order_index_sync WHERE id = 1",
  unlease:
    "UPDATE order_index_sync SET lease_owner = NULL, lease_until = NULL WHERE id = 1 AND lease_owner = @owner",
} as const;

const COLUMNS: Record<keyof IndexCoverage, string> = {
  headAt: "head_at",
  tailAt: "tail_at",
  backfillOffset: "backfill_offset",
  backfilled: "backfilled",
  complete: "complete",
};

interface Row {
  payment_id: string;
  order_id: string | null;
  created_at: number | string;
  type: string;
}

const toPayment = (r: Row): IndexedPayment => ({
  id: r.payment_id,
  orderId: r.order_id,
  createdAt: Number(r.created_at),
  type: r.type,
});

/** Rows per INSERT: well within both backends' parameter limits. */
const RECORD_CHUNK = 250;

const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** How long a SQLite lease lasts unrenewed: a backfill that died holding it is taken over after this. */
export const LEASE_MS = 60_000;

/** SQLite: a lease row, since every process sharing the file is on this machine (a dead pid frees it at once). */
export function leaseLock(db: SqlRunner, now: () => number = Date.now): OrderIndexStore["lockBackfill"] {
  const owner = `${process.pid}@${hostname()}`;
  return async () => {
    // A holder on this machine whose process is gone (SIGKILL) gives the lease up at once.
    const [row] = await db.rows<{ lease_owner: string | null }>(SQL.leaseOwner);
    const dead = row?.lease_owner && !alive(row.lease_owner) ? row.lease_owner : "";
    const take = () => db.run(SQL.lease, { owner, until: now() + LEASE_MS, now: now(), dead });
    if ((await take()) !== 1) return null;
    const renew = setInterval(() => void take().catch(() => {}), LEASE_MS / 3);
    renew.unref();
    return async () => {
      clearInterval(renew);
      await db.run(SQL.unlease, { owner });
    };
  };
}

function alive(owner: string): boolean {
  const [pid, host] = owner.split("@");
  if (host !== hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function createOrderIndexStore(
  db: SqlRunner,
  lockBackfill: OrderIndexStore["lockBackfill"],
): OrderIndexStore {
  return {
    async record(payments) {
      let added = 0;
      // Many rows per statement: a page of 1,000 is a few statements (one fsync each on SQLite), not 1,000.
      for (let i = 0; i < payments.length; i += RECORD_CHUNK) {
        const chunk = payments.slice(i, i + RECORD_CHUNK);
        const params: Record<string, unknown> = {};
        const values = chunk.map((p, j) => {
          Object.assign(params, {
            [`i${j}`]: p.id,
            [`o${j}`]: p.orderId,
            [`c${j}`]: p.createdAt,
            [`t${j}`]: p.type,
          });
          return `(@i${j}, @o${j}, @c${j}, @t${j})`;
        });
        added += await db.run(
          `${SQL.insert} ${values.join(", ")} ON CONFLICT (payment_id) DO NOTHING`,
          params,
        );
      }
      return added;
    },
    byOrder: async (orderId) => (await db.rows<Row>(SQL.byOrder, { orderId })).map(toPayment),
    async inRange(after, before, ascending) {
      const where = [after !== null && "created_at >= @after", before !== null && "created_at < @before"]
        .filter(Boolean)
        .join(" AND ");
      const sql = `SELECT * FROM order_index ${where ? `WHERE ${where}` : ""} ORDER BY created_at ${ascending ? "ASC" : "DESC"}, payment_id`;
      return (await db.rows<Row>(sql, { after, before })).map(toPayment);
    },
    count: async () => Number((await db.rows<{ n: number | string }>(SQL.count))[0]?.n ?? 0),
    async coverage() {
      const [r] = await db.rows<Record<string, unknown>>(SQL.coverage);
      return {
        headAt: numOrNull(r?.head_at),
        tailAt: numOrNull(r?.tail_at),
        backfillOffset: Number(r?.backfill_offset ?? 0),
        backfilled: Number(r?.backfilled ?? 0),
        complete: Number(r?.complete ?? 0) === 1,
      };
    },
    async advance(change) {
      const keys = Object.keys(change) as Array<keyof IndexCoverage>;
      if (!keys.length) return;
      const params: Record<string, unknown> = {};
      for (const k of keys) params[k] = k === "complete" ? (change.complete ? 1 : 0) : change[k];
      await db.run(
        `UPDATE order_index_sync SET ${keys.map((k) => `${COLUMNS[k]} = @${k}`).join(", ")} WHERE id = 1`,
        params,
      );
    },
    lockBackfill,
    async reset() {
      await db.run(SQL.clear);
      await db.run(SQL.resetSync);
    },
  };
}
