// The withdrawal ledger: every withdrawal this server reserves, sends and settles, and the atomic
// check-and-reserve that keeps all processes sharing the state directory under the rolling cap.
import { randomUUID } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";

export type LedgerStatus = "reserved" | "sent" | "done" | "failed" | "released";

/** Statuses whose amount counts against the rolling cap: money moved, or might have. */
const COUNTED = "('reserved','sent','done')";

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
  /** Recorded just before the request goes out. */
  markSent(reservationId: string, now: Date): void;
  markDone(reservationId: string, withdrawalId: string | null, now: Date): void;
  /** The API definitely rejected the request (it answered 4xx): nothing moved, stop counting it. */
  markFailed(reservationId: string, now: Date): void;
  /** The request was never sent (cancelled before the call): stop counting it. */
  release(reservationId: string, now: Date): void;
  get(reservationId: string): LedgerEntry | undefined;
}

interface Row {
  id: string;
  created_at: number;
  updated_at: number;
  amount_cents: number;
  chain_id: string | null;
  recipient: string | null;
  args_fingerprint: string;
  idempotency_key: string;
  status: LedgerStatus;
  withdrawal_id: string | null;
}

function toEntry(row: Row): LedgerEntry {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    amountCents: row.amount_cents,
    chainId: row.chain_id,
    recipient: row.recipient,
    argsFingerprint: row.args_fingerprint,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    withdrawalId: row.withdrawal_id,
  };
}

export function createLedger(db: BetterSqlite3.Database): WithdrawalLedger {
  const sum = db.prepare<[number, string], { used: number }>(
    `SELECT COALESCE(SUM(amount_cents), 0) AS used FROM withdrawal_ledger
     WHERE status IN ${COUNTED} AND created_at > ? AND idempotency_key != ?`,
  );
  const byKey = db.prepare<[string], Row>("SELECT * FROM withdrawal_ledger WHERE idempotency_key = ?");
  const byId = db.prepare<[string], Row>("SELECT * FROM withdrawal_ledger WHERE id = ?");
  const byWithdrawalId = db.prepare<[string], Row>(
    "SELECT * FROM withdrawal_ledger WHERE withdrawal_id = ? LIMIT 1",
  );
  const sentBefore = db.prepare<[number], Row>(
    "SELECT * FROM withdrawal_ledger WHERE status = 'sent' AND updated_at < ? ORDER BY created_at",
  );
  const unresolved = db.prepare<[string], Row>(
    `SELECT * FROM withdrawal_ledger WHERE args_fingerprint = ? AND status IN ('reserved','sent')
     ORDER BY created_at DESC LIMIT 1`,
  );
  const insert = db.prepare(
    `INSERT INTO withdrawal_ledger (id, created_at, updated_at, amount_cents, chain_id, recipient,
       args_fingerprint, idempotency_key, status, withdrawal_id)
     VALUES (@id, @now, @now, @amountCents, @chainId, @recipient, @argsFingerprint, @idempotencyKey, 'reserved', NULL)`,
  );
  // A key whose earlier attempt definitely did not go through may be tried again: it becomes a
  // fresh reservation, counted from now.
  const revive = db.prepare(
    `UPDATE withdrawal_ledger SET status = 'reserved', created_at = @now, updated_at = @now,
       amount_cents = @amountCents, withdrawal_id = NULL WHERE id = @id`,
  );
  const recount = db.prepare(
    "UPDATE withdrawal_ledger SET created_at = @now, updated_at = @now WHERE id = @id",
  );
  const setStatus = db.prepare<[LedgerStatus, number, string]>(
    "UPDATE withdrawal_ledger SET status = ?, updated_at = ? WHERE id = ?",
  );
  // Only a fresh reservation becomes "sent": a resumed entry may already be done.
  const setSent = db.prepare<[number, string]>(
    "UPDATE withdrawal_ledger SET status = 'sent', updated_at = ? WHERE id = ? AND status = 'reserved'",
  );
  const setDone = db.prepare<[string | null, number, string]>(
    "UPDATE withdrawal_ledger SET status = 'done', withdrawal_id = ?, updated_at = ? WHERE id = ?",
  );

  const usedCents = (now: Date, windowMs: number, excludeKey?: string) =>
    sum.get(now.getTime() - windowMs, excludeKey ?? "")?.used ?? 0;

  const reserve = db.transaction((req: ReserveRequest): ReserveResult => {
    const existing = byKey.get(req.idempotencyKey);
    if (existing && existing.args_fingerprint !== req.argsFingerprint) {
      return { ok: false, reason: "key_conflict", existing: toEntry(existing) };
    }
    const counted = existing && ["reserved", "sent", "done"].includes(existing.status);
    const windowStart = req.now.getTime() - req.windowMs;
    if (counted && existing.created_at > windowStart) {
      return { ok: true, reservationId: existing.id, resumed: true };
    }
    const used = usedCents(req.now, req.windowMs);
    if (used + req.amountCents > req.capCents) {
      return { ok: false, reason: "cap", usedCents: used, capCents: req.capCents };
    }
    if (counted) {
      // Resumed after the window no longer counts it: counted afresh, from now, status kept (it may be done).
      recount.run({ id: existing.id, now: req.now.getTime() });
      return { ok: true, reservationId: existing.id, resumed: true };
    }
    const params = {
      id: existing?.id ?? randomUUID(),
      now: req.now.getTime(),
      amountCents: req.amountCents,
      chainId: req.chainId ?? null,
      recipient: req.recipient ?? null,
      argsFingerprint: req.argsFingerprint,
      idempotencyKey: req.idempotencyKey,
    };
    if (existing) revive.run(params);
    else insert.run(params);
    return { ok: true, reservationId: params.id, resumed: false };
  });

  return {
    reserve: (req) => reserve.immediate(req),
    usedCents,
    findUnresolved: (fp) => {
      const row = unresolved.get(fp);
      return row ? toEntry(row) : undefined;
    },
    findByKey: (key) => {
      const row = byKey.get(key);
      return row ? toEntry(row) : undefined;
    },
    findByWithdrawalId: (withdrawalId) => {
      const row = byWithdrawalId.get(withdrawalId);
      return row ? toEntry(row) : undefined;
    },
    listSent: (before) => sentBefore.all(before.getTime()).map(toEntry),
    markSent: (id, now) => void setSent.run(now.getTime(), id),
    markDone: (id, withdrawalId, now) => void setDone.run(withdrawalId, now.getTime(), id),
    markFailed: (id, now) => void setStatus.run("failed", now.getTime(), id),
    release: (id, now) => void setStatus.run("released", now.getTime(), id),
    get: (id) => {
      const row = byId.get(id);
      return row ? toEntry(row) : undefined;
    },
  };
}
