// Guarded calls past confirmation, by identity: who is sending one (a lease, so an identical call on
// another process or instance waits instead of racing the same idempotency key into a 409), and what
// it answered (sealed), so an identical repeat within the window replays it and sends nothing.
// The rule (`planAcquire`) and the SQL are written once for both backends.
import type BetterSqlite3 from "better-sqlite3";

export type CallState = "sending" | "done";

export interface CallRecord {
  callId: string;
  tool: string;
  state: CallState;
  idempotencyKey: string;
  /** How it was confirmed, for the audit lines of a resumed attempt. */
  confirmedBy: string;
  /** Epoch ms until which the sender holds it; 0 once released (an ambiguous failure, a crash). */
  leaseUntil: number;
  /** The answer, sealed with the state key (it may name a payment's secret); null while sending. */
  result: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface AcquireRequest {
  callId: string;
  tool: string;
  /** The key this call would send with when nothing is known of it yet. */
  key: string;
  confirmedBy: string;
  now: Date;
  leaseMs: number;
  /** How long a done call is replayed (the rolling 24-hour window). */
  windowMs: number;
}

export type Acquired =
  /** This call sends now, with `key` (the earlier attempt's, when `resumed`). */
  | { kind: "acquired"; key: string; resumed: boolean }
  /** Another sender holds it. */
  | { kind: "busy"; record: CallRecord }
  /** Done within the window: replay it. */
  | { kind: "done"; record: CallRecord };

export interface CallStore {
  acquire(req: AcquireRequest): Acquired;
  get(callId: string): CallRecord | undefined;
  /** Sent: the answer is kept (sealed) for replays. */
  finish(callId: string, result: string, now: Date): void;
  /** The sender is alive: its hold runs until `leaseUntil` (epoch ms). */
  renew(callId: string, leaseUntil: number, now: Date): void;
  /** Outcome unknown (ambiguous, or the process is giving up): the lease ends, the key stays for a resume. */
  release(callId: string, now: Date): void;
  /** Nothing can have been sent: forgotten, so an identical call starts afresh. */
  drop(callId: string): void;
}

export interface CallRow {
  call_id: string;
  tool: string;
  state: CallState;
  idempotency_key: string;
  confirmed_by: string;
  lease_until: number | string;
  result: string | null;
  created_at: number | string;
  updated_at: number | string;
}

export function toCall(row: CallRow): CallRecord {
  return {
    callId: row.call_id,
    tool: row.tool,
    state: row.state,
    idempotencyKey: row.idempotency_key,
    confirmedBy: row.confirmed_by,
    leaseUntil: Number(row.lease_until),
    result: row.result,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export const CALLS_TABLE = `CREATE TABLE guarded_calls (
     call_id         TEXT PRIMARY KEY,
     tool            TEXT NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('sending','done')),
     idempotency_key TEXT NOT NULL,
     confirmed_by    TEXT NOT NULL,
     lease_until     @INT NOT NULL,
     result          TEXT,
     created_at      @INT NOT NULL,
     updated_at      @INT NOT NULL
   );`;

export const CALL_SQL = {
  select: "SELECT * FROM guarded_calls WHERE call_id = @callId",
  insert: `INSERT INTO guarded_calls (call_id, tool, state, idempotency_key, confirmed_by, lease_until, result,
             created_at, updated_at)
           VALUES (@callId, @tool, 'sending', @key, @confirmedBy, @leaseUntil, NULL, @now, @now)`,
  // A done call past the window is a new call: its row starts again.
  restart: `UPDATE guarded_calls SET state = 'sending', idempotency_key = @key, confirmed_by = @confirmedBy, lease_until = @leaseUntil,
              result = NULL, created_at = @now, updated_at = @now WHERE call_id = @callId`,
  take: "UPDATE guarded_calls SET lease_until = @leaseUntil, updated_at = @now WHERE call_id = @callId",
  renew: `UPDATE guarded_calls SET lease_until = @leaseUntil, updated_at = @now
          WHERE call_id = @callId AND state = 'sending'`,
  finish: `UPDATE guarded_calls SET state = 'done', result = @result, lease_until = 0, updated_at = @now
           WHERE call_id = @callId`,
  release:
    "UPDATE guarded_calls SET lease_until = 0, updated_at = @now WHERE call_id = @callId AND state = 'sending'",
  drop: "DELETE FROM guarded_calls WHERE call_id = @callId AND state = 'sending'",
  prune: "DELETE FROM guarded_calls WHERE state = 'done' AND updated_at < @before",
} as const;

export type AcquirePlan =
  | { write: null; result: Acquired }
  | { write: "insert" | "restart" | "take"; result: Acquired; params: Record<string, unknown> };

/** The acquire rule, for both backends: each runs it under its own lock with the call's row. */
export function planAcquire(req: AcquireRequest, existing: CallRecord | undefined): AcquirePlan {
  const now = req.now.getTime();
  const { callId, tool, key, confirmedBy } = req;
  const params = { callId, tool, key, confirmedBy, leaseUntil: now + req.leaseMs, now };
  if (!existing)
    return { write: "insert", params, result: { kind: "acquired", key: req.key, resumed: false } };
  if (existing.state === "done") {
    if (existing.updatedAt > now - req.windowMs)
      return { write: null, result: { kind: "done", record: existing } };
    return { write: "restart", params, result: { kind: "acquired", key: req.key, resumed: false } };
  }
  if (existing.leaseUntil > now) return { write: null, result: { kind: "busy", record: existing } };
  return {
    write: "take",
    params,
    result: { kind: "acquired", key: existing.idempotencyKey, resumed: true },
  };
}

/** Done calls are kept a week: replays need a day, the rest is evidence. */
export const CALL_RETENTION_MS = 7 * 24 * 3600 * 1000;

export function createCallStore(db: BetterSqlite3.Database): CallStore {
  const st = Object.fromEntries(Object.entries(CALL_SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<
    keyof typeof CALL_SQL,
    BetterSqlite3.Statement
  >;
  const get = (callId: string) => {
    const r = st.select.get({ callId }) as CallRow | undefined;
    return r ? toCall(r) : undefined;
  };
  st.prune.run({ before: Date.now() - CALL_RETENTION_MS });
  const acquire = db.transaction((req: AcquireRequest): Acquired => {
    const plan = planAcquire(req, get(req.callId));
    if (plan.write) st[plan.write].run(plan.params);
    return plan.result;
  });
  return {
    acquire: (req) => acquire.immediate(req),
    get,
    finish: (callId, result, now) => void st.finish.run({ callId, result, now: now.getTime() }),
    renew: (callId, leaseUntil, now) => void st.renew.run({ callId, leaseUntil, now: now.getTime() }),
    release: (callId, now) => void st.release.run({ callId, now: now.getTime() }),
    drop: (callId) => void st.drop.run({ callId }),
  };
}
