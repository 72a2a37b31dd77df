// Pending confirmations: one row per artefact a channel handed out (a token, an approval handle, a
// sealed requestState, an out-of-band approval), keyed by the artefact's hash and bound to the call's
// identity. A row is decided once: `pending` becomes `approved` or `declined` in one conditional
// UPDATE, on any process or instance, and never changes back; an approval whose call then could not
// be sent at all is `spent` (single use). SQL written once for both backends.
import type BetterSqlite3 from "better-sqlite3";

/**
 * The table pending confirmations replaced (both backends' first migration; no longer read), written
 * once: each backend renders `@INT` as its integer type.
 */
export const CONFIRMATION_TOKENS_TABLE = `CREATE TABLE confirmation_tokens (
     token_hash      TEXT PRIMARY KEY,
     tool            TEXT NOT NULL,
     canonical_args  TEXT NOT NULL,
     created_at      @INT NOT NULL,
     expires_at      @INT NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('issued','in_flight','done')),
     idempotency_key TEXT NOT NULL,
     updated_at      @INT NOT NULL
   );`;

export type ConfirmationState = "pending" | "approved" | "declined" | "spent";

export interface ConfirmationRecord {
  /** sha256 of the artefact; the artefact itself is kept only sealed (`sealed`). */
  hash: string;
  /** The call's identity (identity.ts): tool, canonical arguments, caller and place. */
  callId: string;
  /** The channel that asked (channels/*.ts). */
  channel: string;
  tool: string;
  canonicalArgs: string;
  caller: string | null;
  /** Where it was made: mode, API host and merchant-key fingerprint (identity.ts `placeOf`). */
  place: string;
  /** The artefact sealed with the state key, so an identical repeat is handed the same one; null when none is handed back. */
  sealed: string | null;
  idempotencyKey: string;
  state: ConfirmationState;
  createdAt: number;
  expiresAt: number;
  updatedAt: number;
}

export type NewConfirmation = Omit<ConfirmationRecord, "state" | "updatedAt">;

export interface ConfirmationStore {
  hold(record: NewConfirmation): void;
  get(hash: string): ConfirmationRecord | undefined;
  /** The newest confirmation asked for this call identity, whatever its state. */
  latest(callId: string): ConfirmationRecord | undefined;
  /** Decides a pending, unexpired confirmation; false when it was not (already decided, expired, unknown). */
  decide(hash: string, state: "approved" | "declined", now: Date): boolean;
  /** An approved confirmation whose call was not sent (refused, rejected): used up. */
  spend(hash: string, now: Date): void;
}

/** A confirmation row as both backends store it (PostgreSQL answers BIGINT columns as strings). */
export interface ConfirmationRow {
  hash: string;
  call_id: string;
  channel: string;
  tool: string;
  canonical_args: string;
  caller: string | null;
  place: string;
  sealed: string | null;
  idempotency_key: string;
  state: ConfirmationState;
  created_at: number | string;
  expires_at: number | string;
  updated_at: number | string;
}

export function toConfirmation(row: ConfirmationRow): ConfirmationRecord {
  return {
    hash: row.hash,
    callId: row.call_id,
    channel: row.channel,
    tool: row.tool,
    canonicalArgs: row.canonical_args,
    caller: row.caller,
    place: row.place,
    sealed: row.sealed,
    idempotencyKey: row.idempotency_key,
    state: row.state,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The table, for both backends' migrations (`@INT` is INTEGER in SQLite, BIGINT in PostgreSQL). */
export const CONFIRMATIONS_TABLE = `CREATE TABLE confirmations (
     hash            TEXT PRIMARY KEY,
     call_id         TEXT NOT NULL,
     channel         TEXT NOT NULL,
     tool            TEXT NOT NULL,
     canonical_args  TEXT NOT NULL,
     caller          TEXT,
     place           TEXT NOT NULL,
     sealed          TEXT,
     idempotency_key TEXT NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('pending','approved','declined','spent')),
     created_at      @INT NOT NULL,
     expires_at      @INT NOT NULL,
     updated_at      @INT NOT NULL
   );
   CREATE INDEX confirmations_call ON confirmations (call_id, created_at);`;

export const CONFIRMATION_SQL = {
  insert: `INSERT INTO confirmations (hash, call_id, channel, tool, canonical_args, caller, place, sealed,
             idempotency_key, state, created_at, expires_at, updated_at)
           VALUES (@hash, @callId, @channel, @tool, @canonicalArgs, @caller, @place, @sealed,
             @idempotencyKey, 'pending', @createdAt, @expiresAt, @createdAt)`,
  select: "SELECT * FROM confirmations WHERE hash = @hash",
  latest: "SELECT * FROM confirmations WHERE call_id = @callId ORDER BY created_at DESC LIMIT 1",
  // The decision itself: one statement, so of two deciders (processes, instances) exactly one wins.
  decide: `UPDATE confirmations SET state = @state, updated_at = @now
           WHERE hash = @hash AND state = 'pending' AND expires_at > @now`,
  spend:
    "UPDATE confirmations SET state = 'spent', updated_at = @now WHERE hash = @hash AND state = 'approved'",
  // An approval is kept longer: it may belong to a call whose outcome is still unknown (resumable).
  prune: `DELETE FROM confirmations WHERE expires_at < @before
          AND (state != 'approved' OR expires_at < @approvedBefore)`,
} as const;

/** What prune removes at `nowMs`: a week past expiry; an approval a month more (its call may be resumable). */
export function pruneBefore(nowMs: number): { before: number; approvedBefore: number } {
  const week = 7 * 24 * 3600 * 1000;
  return { before: nowMs - week, approvedBefore: nowMs - 5 * week };
}

export function createConfirmationStore(db: BetterSqlite3.Database): ConfirmationStore {
  const st = Object.fromEntries(
    Object.entries(CONFIRMATION_SQL).map(([k, sql]) => [k, db.prepare(sql)]),
  ) as Record<keyof typeof CONFIRMATION_SQL, BetterSqlite3.Statement>;
  const row = (r: unknown) => (r ? toConfirmation(r as ConfirmationRow) : undefined);
  st.prune.run(pruneBefore(Date.now()));
  return {
    hold: (record) => void st.insert.run({ ...record }),
    get: (hash) => row(st.select.get({ hash })),
    latest: (callId) => row(st.latest.get({ callId })),
    decide: (hash, state, now) => st.decide.run({ hash, state, now: now.getTime() }).changes === 1,
    spend: (hash, now) => void st.spend.run({ hash, now: now.getTime() }),
  };
}
