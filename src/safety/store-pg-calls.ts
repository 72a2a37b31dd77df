// Pending confirmations and guarded calls on PostgreSQL: the same SQL and rules as SQLite
// (confirmations.ts, calls.ts); a decision is one conditional UPDATE, and the send lease is taken
// under an advisory transaction lock every instance respects.
import type { Pool } from "pg";
import { CALL_SQL, planAcquire, toCall, type CallRow } from "./calls.js";
import { CONFIRMATION_SQL, toConfirmation, type ConfirmationRow } from "./confirmations.js";
import { run, transaction } from "./pg-run.js";
import type { StateCalls, StateConfirmations } from "./state.js";

/** Orders send leases across instances (any constant, the same in every instance). */
const CALLS_LOCK = 0x53504d04;

export function createPgConfirmations(pool: Pool): StateConfirmations {
  const one = async (sql: string, params: Record<string, unknown>) => {
    const { rows } = await run<ConfirmationRow>(pool, sql, params);
    return rows[0] ? toConfirmation(rows[0]) : undefined;
  };
  return {
    hold: async (record) => void (await run(pool, CONFIRMATION_SQL.insert, { ...record })),
    get: (hash) => one(CONFIRMATION_SQL.select, { hash }),
    latest: (callId) => one(CONFIRMATION_SQL.latest, { callId }),
    decide: async (hash, state, now) =>
      (await run(pool, CONFIRMATION_SQL.decide, { hash, state, now: now.getTime() })).rowCount === 1,
    spend: async (hash, now) => void (await run(pool, CONFIRMATION_SQL.spend, { hash, now: now.getTime() })),
  };
}

export function createPgCalls(pool: Pool): StateCalls {
  const exec = async (sql: string, params: Record<string, unknown>) => void (await run(pool, sql, params));
  return {
    acquire: (req) =>
      transaction(pool, async (c) => {
        await run(c, `SELECT pg_advisory_xact_lock(${CALLS_LOCK})`);
        const { rows } = await run<CallRow>(c, CALL_SQL.select, { callId: req.callId });
        const plan = planAcquire(req, rows[0] ? toCall(rows[0]) : undefined);
        if (plan.write) await run(c, CALL_SQL[plan.write], plan.params);
        return plan.result;
      }),
    get: async (callId) => {
      const { rows } = await run<CallRow>(pool, CALL_SQL.select, { callId });
      return rows[0] ? toCall(rows[0]) : undefined;
    },
    finish: (callId, result, now) => exec(CALL_SQL.finish, { callId, result, now: now.getTime() }),
    renew: (callId, leaseUntil, now) => exec(CALL_SQL.renew, { callId, leaseUntil, now: now.getTime() }),
    release: (callId, now) => exec(CALL_SQL.release, { callId, now: now.getTime() }),
    drop: (callId) => exec(CALL_SQL.drop, { callId }),
  };
}
