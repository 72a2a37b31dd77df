// The withdrawal ledger: every withdrawal this server reserves, sends and settles, and the atomic
// check-and-reserve that keeps all processes sharing the state directory under the rolling cap.
import { randomUUID } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import type { AuditMark } from "./audit-chain.js";

export type LedgerStatus = "reserved" | "sent" | "done" | "failed" | "released";

/** Statuses whose amount counts against the rolling cap: money moved, or might have. */
const COUNTED_STATUSES: readonly LedgerStatus[] = ["reserved", "sent", "done"];
const COUNTED = `(${COUNTED_STATUSES.map((s) => `'${s}'`).join(",")})`;

export interface LedgerEntry {
  id: string;
  createdAt: number;
  updatedAt: number;
  amountCents: number;
  chainId: string | null;
  recipient: string | null;
  argsFingerprint: string;
  idempotencyKey: string;
  status: LedgerStatus;
  withdrawalId: string | null;
  /** The audit intent written before the request went out, so `audit verify` can find it; null before that. */
  intent: AuditMark | null;
}

export interface ReserveRequest {
  amountCents: number;
  capCents: number;
  windowMs: number;
  now: Date;
  chainId?: string;
  recipient?: string;
  argsFingerprint: string;
  idempotencyKey: string;
}

export type ReserveResult =
  /** `resumed`: a counted entry with this idempotency key already existed and was reused, not added. */
  | { ok: true; reservationId: string; resumed: boolean }
  | { ok: false; reason: "cap"; usedCents: number; capCents: number }
  /** The idempotency key already belongs to a withdrawal with different arguments. */
  | { ok: false; reason: "key_conflict"; existing: LedgerEntry };

export interface WithdrawalLedger {
  /**
   * Atomically (BEGIN IMMEDIATE) checks the rolling window and records a reservation. Idempotent
   * per key: a key whose entry still counts is resumed without counting it twice; one older than the
   * window is checked against the cap again and counted from now.
   */
  reserve(req: ReserveRequest): ReserveResult;
  /** Cents counted in the window ending at `now`, optionally leaving out one idempotency key. */
  usedCents(now: Date, windowMs: number, excludeKey?: string): number;
  /** The newest reserved or sent (not yet settled) entry with these arguments, for retries without a token. */
  findUnresolved(argsFingerprint: string): LedgerEntry | undefined;
  findByKey(idempotencyKey: string): LedgerEntry | undefined;
  findByWithdrawalId(withdrawalId: string): LedgerEntry | undefined;
  /** Entries still "sent" (no outcome recorded) last touched before `before`, oldest first. */
  listSent(before: Date): LedgerEntry[];
  /** Recorded just before the request goes out, with the mark of the audit intent written for it. */
  markSent(reservationId: string, now: Date, intent: AuditMark): void;
  markDone(reservationId: string, withdrawalId: string | null, now: Date): void;
  /** The API definitely rejected the request (it answered 4xx): nothing moved, stop counting it. */
  markFailed(reservationId: string, now: Date): void;
  /** The request was never sent (cancelled before the call): stop counting it. */
  release(reservationId: string, now: Date): void;
  get(reservationId: string): LedgerEntry | undefined;
}

/** A ledger row as both backends store it (PostgreSQL answers BIGINT columns as strings). */
export interface LedgerRow {
  id: string;
  created_at: number | string;
  updated_at: number | string;
  amount_cents: number | string;
  chain_id: string | null;
  recipient: string | null;
  args_fingerprint: string;
  idempotency_key: string;
  status: LedgerStatus;
  withdrawal_id: string | null;
  audit_seq?: number | string | null;
  audit_hash?: string | null;
}

export function toEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    amountCents: Number(row.amount_cents),
    chainId: row.chain_id,
    recipient: row.recipient,
    argsFingerprint: row.args_fingerprint,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    withdrawalId: row.withdrawal_id,
    intent:
      // Absent in rows an older version wrote, and in a schema before the column (audit verify reads those).
      row.audit_seq == null || row.audit_hash == null
        ? null
        : { seq: Number(row.audit_seq), hash: row.audit_hash },
  };
}

/** What a reservation writes: nothing, the window start of a resumed entry, or a fresh reservation. */
export type ReservationPlan =
  | { write: null; result: ReserveResult }
  | { write: "recount" | "revive" | "insert"; result: ReserveResult; params: ReservationParams };

export interface ReservationParams {
  id: string;
  now: number;
  amountCents: number;
  chainId: string | null;
  recipient: string | null;
  argsFingerprint: string;
  idempotencyKey: string;
}

/**
 * The reservation rule, for both backends: each runs it inside its own lock, with the entry for the
 * key (if any) and the cents counted in the window, and performs the write it names.
 */
export function planReservation(
  req: ReserveRequest,
  existing: LedgerEntry | undefined,
  usedCents: number,
): ReservationPlan {
  if (existing && existing.argsFingerprint !== req.argsFingerprint) {
    return { write: null, result: { ok: false, reason: "key_conflict", existing } };
  }
  const counted = existing && COUNTED_STATUSES.includes(existing.status);
  const windowStart = req.now.getTime() - req.windowMs;
  const params: ReservationParams = {
    id: existing?.id ?? randomUUID(),
    now: req.now.getTime(),
    amountCents: req.amountCents,
    chainId: req.chainId ?? null,
    recipient: req.recipient ?? null,
    argsFingerprint: req.argsFingerprint,
    idempotencyKey: req.idempotencyKey,
  };
  if (counted && existing.createdAt > windowStart) {
    return { write: null, result: { ok: true, reservationId: existing.id, resumed: true } };
  }
  // Past this point the key's own entry is out of the window or not counted: not in `usedCents`.
  if (usedCents + req.amountCents > req.capCents) {
    return { write: null, result: { ok: false, reason: "cap", usedCents, capCents: req.capCents } };
  }
  // Resumed after the window no longer counts it: counted afresh, from now, status kept (it may be done).
  if (counted)
    return { write: "recount", params, result: { ok: true, reservationId: existing.id, resumed: true } };
  return {
    write: existing ? "revive" : "insert",
    params,
    result: { ok: true, reservationId: params.id, resumed: false },
  };
}

/** The ledger's table and indexes, written once: each backend renders `@INT` as its integer type. */
export const LEDGER_TABLE = `CREATE TABLE withdrawal_ledger (
     id               TEXT PRIMARY KEY,
     created_at       @INT NOT NULL,
     updated_at       @INT NOT NULL,
     amount_cents     @INT NOT NULL CHECK (amount_cents >= 0),
     chain_id         TEXT,
     recipient        TEXT,
     args_fingerprint TEXT NOT NULL,
     idempotency_key  TEXT NOT NULL UNIQUE,
     status           TEXT NOT NULL CHECK (status IN ('reserved','sent','done','failed','released')),
     withdrawal_id    TEXT
   );
   CREATE INDEX withdrawal_ledger_window ON withdrawal_ledger (created_at, status);
   CREATE INDEX withdrawal_ledger_fingerprint ON withdrawal_ledger (args_fingerprint, status);`;

/**
 * The ledger's statements, written once for both backends: named parameters (`@name`), which
 * better-sqlite3 binds from an object and store-pg.ts turns into `$1…`. Times are epoch ms.
 */
export const LEDGER_SQL = {
  used: `SELECT COALESCE(SUM(amount_cents), 0) AS used FROM withdrawal_ledger
         WHERE status IN ${COUNTED} AND created_at > @since AND idempotency_key != @exclude`,
  byKey: "SELECT * FROM withdrawal_ledger WHERE idempotency_key = @key",
  byId: "SELECT * FROM withdrawal_ledger WHERE id = @id",
  byWithdrawalId: "SELECT * FROM withdrawal_ledger WHERE withdrawal_id = @withdrawalId LIMIT 1",
  sentBefore:
    "SELECT * FROM withdrawal_ledger WHERE status = 'sent' AND updated_at < @before ORDER BY created_at",
  unresolved: `SELECT * FROM withdrawal_ledger WHERE args_fingerprint = @fingerprint AND status IN ('reserved','sent')
               ORDER BY created_at DESC LIMIT 1`,
  insert: `INSERT INTO withdrawal_ledger (id, created_at, updated_at, amount_cents, chain_id, recipient,
             args_fingerprint, idempotency_key, status, withdrawal_id)
           VALUES (@id, @now, @now, @amountCents, @chainId, @recipient, @argsFingerprint, @idempotencyKey, 'reserved', NULL)`,
  // A key whose earlier attempt definitely did not go through may be tried again: it becomes a
  // fresh reservation, counted from now.
  revive: `UPDATE withdrawal_ledger SET status = 'reserved', created_at = @now, updated_at = @now,
             amount_cents = @amountCents, withdrawal_id = NULL WHERE id = @id`,
  recount: "UPDATE withdrawal_ledger SET created_at = @now, updated_at = @now WHERE id = @id",
  setStatus: "UPDATE withdrawal_ledger SET status = @status, updated_at = @now WHERE id = @id",
  // Only a fresh reservation becomes "sent": a resumed entry may already be done, and keeps the
  // intent it was first sent with.
  setSent: `UPDATE withdrawal_ledger SET status = 'sent', updated_at = @now, audit_seq = @seq, audit_hash = @hash
            WHERE id = @id AND status = 'reserved'`,
  /** Every entry, oldest first, for `audit verify`. */
  all: "SELECT * FROM withdrawal_ledger ORDER BY created_at, id",
  setDone:
    "UPDATE withdrawal_ledger SET status = 'done', withdrawal_id = @withdrawalId, updated_at = @now WHERE id = @id",
} as const;

export function createLedger(db: BetterSqlite3.Database): WithdrawalLedger {
  const st = Object.fromEntries(Object.entries(LEDGER_SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<
    keyof typeof LEDGER_SQL,
    BetterSqlite3.Statement
  >;
  const row = (r: unknown) => (r ? toEntry(r as LedgerRow) : undefined);
  const usedCents = (now: Date, windowMs: number, excludeKey?: string) =>
    Number(
      (st.used.get({ since: now.getTime() - windowMs, exclude: excludeKey ?? "" }) as { used: number }).used,
    );

  const reserve = db.transaction((req: ReserveRequest): ReserveResult => {
    const plan = planReservation(
      req,
      row(st.byKey.get({ key: req.idempotencyKey })),
      usedCents(req.now, req.windowMs),
    );
    if (plan.write) st[plan.write].run(plan.params);
    return plan.result;
  });

  return {
    reserve: (req) => reserve.immediate(req),
    usedCents,
    findUnresolved: (fingerprint) => row(st.unresolved.get({ fingerprint })),
    findByKey: (key) => row(st.byKey.get({ key })),
    findByWithdrawalId: (withdrawalId) => row(st.byWithdrawalId.get({ withdrawalId })),
    listSent: (before) => st.sentBefore.all({ before: before.getTime() }).map((r) => toEntry(r as LedgerRow)),
    markSent: (id, now, intent) => void st.setSent.run({ id, now: now.getTime(), ...intent }),
    markDone: (id, withdrawalId, now) => void st.setDone.run({ id, withdrawalId, now: now.getTime() }),
    markFailed: (id, now) => void st.setStatus.run({ id, status: "failed", now: now.getTime() }),
    release: (id, now) => void st.setStatus.run({ id, status: "released", now: now.getTime() }),
    get: (id) => row(st.byId.get({ id })),
  };
}
