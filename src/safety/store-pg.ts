// The shared backend: all durable state in PostgreSQL (SPACEPAY_DATABASE_URL), so every instance
// behind a proxy sees one rolling cap, one set of confirmation tokens and payment secrets, and one
// audit trail. Loaded only when a database URL is set, like `pg` itself.
import type { Pool, QueryResultRow } from "pg";
import { log } from "../log.js";
import { createApprovalStore } from "./approvals.js";
import { serializeAuditEntry, type AuditEntry } from "./audit.js";
import { chainHash } from "./audit-chain.js";
import {
  LEDGER_SQL,
  planReservation,
  toEntry,
  type LedgerEntry,
  type LedgerRow,
  type WithdrawalLedger,
} from "./ledger.js";
import { CALL_RETENTION_MS, CALL_SQL } from "./calls.js";
import { CONFIRMATION_SQL, pruneBefore } from "./confirmations.js";
import { PG_WHERE, connect, describe, run, transaction, type Queryable } from "./pg-run.js";
import { createOrderIndexStore, type OrderIndexStore } from "./order-index.js";
import type { SqlRunner } from "./approvals.js";
import { createWebhookEventStore } from "./webhook-events.js";
import { pgPaymentEvents } from "./pg-events.js";
import { type StateLedger, type StateStore } from "./state.js";
import { createPgCalls, createPgConfirmations } from "./store-pg-calls.js";
import { appRoleGrants, migrate, schemaVersion } from "./store-pg-schema.js";
import { resolveStateKey } from "./state-key.js";
import { claimsSealer } from "./seal.js";
import { checkKeyCanary } from "./key-canary.js";
import { SECRET_SQL, openSecret, sealSecret, secretAad } from "./store.js";

export { PG_WHERE } from "./pg-run.js";

// Advisory lock keys (any constants, the same in every instance).
const LEDGER_LOCK = 0x53504d02;
/** Orders audit appends across instances: each reads the last entry to chain to it. */
const AUDIT_LOCK = 0x53504d03;
/** Held by the instance running the order index's backfill, so the others leave it alone. */
const INDEX_LOCK = 0x53504d04;

/**
 * The order index over the pool; its backfill lock is a session advisory lock on a connection of its
 * own, which PostgreSQL releases by itself when that connection ends (the instance died).
 */
function createPgOrderIndex(pool: Pool, db: SqlRunner): OrderIndexStore {
  return createOrderIndexStore(db, async () => {
    const client = await connect(pool);
    try {
      const { rows } = await run<{ ok: boolean }>(client, `SELECT pg_try_advisory_lock(${INDEX_LOCK}) AS ok`);
      if (!rows[0]?.ok) {
        client.release();
        return null;
      }
    } catch (err) {
      client.release(true);
      throw err;
    }
    return async () => {
      await client.query(`SELECT pg_advisory_unlock(${INDEX_LOCK})`).catch(() => {});
      client.release();
    };
  });
}

function createPgLedger(pool: Pool): StateLedger {
  const one = async (sql: string, params: Record<string, unknown>) => {
    const { rows } = await run<LedgerRow>(pool, sql, params);
    return rows[0] ? toEntry(rows[0]) : undefined;
  };
  const usedCents = async (db: Queryable, now: Date, windowMs: number, excludeKey?: string) => {
    const { rows } = await run<{ used: string }>(db, LEDGER_SQL.used, {
      since: now.getTime() - windowMs,
      exclude: excludeKey ?? "",
    });
    return Number(rows[0]?.used ?? 0);
  };
  const exec = async (sql: string, params: Record<string, unknown>) => void (await run(pool, sql, params));

  const ledger: { [K in keyof WithdrawalLedger]: StateLedger[K] } = {
    // One advisory transaction lock serialises every reservation across instances: the sum and the
    // insert cannot interleave, so the cap holds. Chosen over SERIALIZABLE because reservations are
    // few (each is a human-confirmed withdrawal), and waiting a moment beats aborting and retrying
    // a whole transaction that SERIALIZABLE would fail on every concurrent range read.
    reserve: (req) =>
      transaction(pool, async (c) => {
        await run(c, `SELECT pg_advisory_xact_lock(${LEDGER_LOCK})`);
        const { rows } = await run<LedgerRow>(c, LEDGER_SQL.byKey, { key: req.idempotencyKey });
        const existing = rows[0] ? toEntry(rows[0]) : undefined;
        const plan = planReservation(req, existing, await usedCents(c, req.now, req.windowMs));
        if (plan.write) await run(c, LEDGER_SQL[plan.write], { ...plan.params });
        return plan.result;
      }),
    usedCents: (now, windowMs, excludeKey) => usedCents(pool, now, windowMs, excludeKey),
    findUnresolved: (fingerprint) => one(LEDGER_SQL.unresolved, { fingerprint }),
    findByKey: (key) => one(LEDGER_SQL.byKey, { key }),
    findByWithdrawalId: (withdrawalId) => one(LEDGER_SQL.byWithdrawalId, { withdrawalId }),
    listSent: async (before) =>
      (await run<LedgerRow>(pool, LEDGER_SQL.sentBefore, { before: before.getTime() })).rows.map(toEntry),
    markSent: (id, now, intent) => exec(LEDGER_SQL.setSent, { id, now: now.getTime(), ...intent }),
    markDone: (id, withdrawalId, now) => exec(LEDGER_SQL.setDone, { id, withdrawalId, now: now.getTime() }),
    markFailed: (id, now) => exec(LEDGER_SQL.setStatus, { id, status: "failed", now: now.getTime() }),
    release: (id, now) => exec(LEDGER_SQL.setStatus, { id, status: "released", now: now.getTime() }),
    get: (id) => one(LEDGER_SQL.byId, { id }),
  };
  return ledger;
}

export async function openPgState(databaseUrl: string, configuredKey: Buffer | null): Promise<StateStore> {
  // Required here: the key must not live beside the data it protects, and every instance needs the same one.
  const key = resolveStateKey({
    configured: configuredKey,
    dir: "",
    required: {
      because: "with SPACEPAY_DATABASE_URL (every instance needs the same key, kept apart from the database)",
    },
  });
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 5,
    // A database that does not answer fails the money call (closed) in seconds, not minutes.
    connectionTimeoutMillis: 5_000,
    query_timeout: 15_000,
    idleTimeoutMillis: 10_000,
    application_name: "spacepay-mcp",
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on("error", (err) => log("warn", `${PG_WHERE}: idle connection lost (${describe(err).message})`));
  const runner: SqlRunner = {
    rows: async <R>(sql: string, params?: Record<string, unknown>) =>
      (await run(pool, sql, params)).rows as R[],
    run: async (sql, params) => (await run(pool, sql, params)).rowCount,
  };
  try {
    const schemaVersion = await migrate(pool);
    await checkKeyCanary(
      key,
      {
        one: async <R>(sql: string, params: Record<string, unknown>) =>
          (await run<R & QueryResultRow>(pool, sql, params)).rows[0],
        run: async (sql, params) => void (await run(pool, sql, params)),
      },
      { configured: true, secretAad },
    );
    const powers = await trailPowers(pool);
    if (powers.length) {
      log(
        "warn",
        `the database role this server runs as can ${powers.join(", ")}: the audit trail is append-only only against roles that cannot. ` +
          "Migrate with the owner (spacepay-mcp db migrate) and serve with a role that has only INSERT and SELECT on audit_log (README: Least-privilege PostgreSQL).",
      );
    }
    await run(pool, CONFIRMATION_SQL.prune, pruneBefore(Date.now()));
    await run(pool, CALL_SQL.prune, { before: Date.now() - CALL_RETENTION_MS });
    return {
      backend: "postgres",
      where: PG_WHERE,
      schemaVersion,
      secrets: {
        get: async (paymentId) =>
          openSecret(
            key,
            paymentId,
            (await run<{ sealed_secret: string }>(pool, SECRET_SQL.get, { paymentId })).rows[0]
              ?.sealed_secret,
          ),
        put: async (paymentId, secret) =>
          void (await run(pool, SECRET_SQL.put, {
            paymentId,
            sealed: sealSecret(key, paymentId, secret),
            now: Date.now(),
          })),
      },
      claims: claimsSealer(key),
      ledger: createPgLedger(pool),
      confirmations: createPgConfirmations(pool),
      calls: createPgCalls(pool),
      approvals: createApprovalStore(runner),
      orderIndex: createPgOrderIndex(pool, runner),
      webhookEvents: createWebhookEventStore(runner),
      // Its listener's connection is its own, outside the pool, for as long as it listens.
      paymentEvents: pgPaymentEvents(
        pool,
        () =>
          new pg.Client({
            connectionString: databaseUrl,
            connectionTimeoutMillis: 5_000,
            application_name: "spacepay-mcp-events",
          }),
      ),
      audit: {
        where: PG_WHERE,
        // Chained like the file: each entry carries the hash of the one before it, read under a lock
        // every instance takes, so two appends never chain to the same predecessor.
        append: (entry: AuditEntry) =>
          transaction(pool, async (c) => {
            await run(c, `SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`);
            const { rows } = await run<{ seq: string; entry: string }>(
              c,
              "SELECT seq, entry FROM audit_log ORDER BY id DESC LIMIT 1",
            );
            const previous = rows[0] ? Buffer.from(rows[0].entry, "utf8") : null;
            const line = serializeAuditEntry(entry, previous);
            const seq = Number(rows[0]?.seq ?? 0) + 1;
            await run(c, "INSERT INTO audit_log (seq, entry) VALUES (@seq, @line)", { seq, line });
            return { seq, hash: chainHash(line) };
          }),
        readRecent: async (n) => {
          if (n <= 0) return [];
          const { rows } = await run<{ entry: string }>(
            pool,
            "SELECT entry FROM (SELECT id, entry FROM audit_log ORDER BY id DESC LIMIT @n) recent ORDER BY id",
            { n },
          );
          // The chain hash is for `audit verify`, not for readers of recent entries.
          return rows.map((r) => {
            const { prev: _prev, ...rest } = JSON.parse(r.entry) as AuditEntry;
            return rest;
          });
        },
      },
      ping: async () => void (await run(pool, "SELECT 1")),
      close: () => pool.end(),
    };
  } catch (err) {
    await pool.end().catch(() => {});
    throw describe(err);
  }
}

/**
 * What a role (the connected one by default) could do to the trail beyond appending and reading, in
 * words (none: it is a least-privilege role). A superuser or a member of the owner can disable the
 * triggers.
 */
export async function trailPowers(db: Queryable, role: string | null = null): Promise<string[]> {
  const { rows } = await run<Record<string, boolean | null>>(
    db,
    `WITH me AS (SELECT COALESCE(@role::name, current_user) AS name)
     SELECT r.rolsuper AS superuser,
            pg_has_role(me.name, c.relowner, 'MEMBER') AS owner,
            has_table_privilege(me.name, c.oid, 'TRUNCATE') AS truncate,
            has_table_privilege(me.name, c.oid, 'TRIGGER') AS trigger,
            COALESCE(pg_has_role(me.name, p.proowner, 'MEMBER'), false) AS function_owner
       FROM me
       JOIN pg_roles r ON r.rolname = me.name
       CROSS JOIN pg_class c
       LEFT JOIN pg_proc p ON p.oid = to_regprocedure('spacepay_audit_append_only()')
      WHERE c.oid = to_regclass('audit_log')`,
    { role },
  );
  const p = rows[0];
  if (!p) return [];
  const words: Array<[string, string]> = [
    ["superuser", "do anything as a superuser"],
    ["owner", "alter audit_log as its owner (DISABLE TRIGGER, DROP)"],
    ["truncate", "TRUNCATE audit_log"],
    ["trigger", "create triggers on audit_log"],
    ["function_owner", "replace its append-only trigger function"],
  ];
  return words.filter(([k]) => p[k]).map(([, w]) => w);
}

/** One short connection for the CLI's database commands; closed whatever `fn` does. */
async function withClient<T>(databaseUrl: string, fn: (c: Queryable) => Promise<T>): Promise<T> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return await fn(client);
  } catch (err) {
    throw describe(err);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface PgTrail {
  /** Every audit entry as stored, in id order: its position is its sequence number. */
  entries: string[];
  ledger: LedgerEntry[];
}

/** The trail and the ledger, for `spacepay-mcp audit verify`: reads only, needs no state key. */
export function readPgTrail(databaseUrl: string): Promise<PgTrail> {
  return withClient(databaseUrl, async (c) => {
    if ((await schemaVersion(c)) === 0) return { entries: [], ledger: [] };
    const entries = (await run<{ entry: string }>(c, "SELECT entry FROM audit_log ORDER BY id")).rows;
    const ledger = (await run<LedgerRow>(c, LEDGER_SQL.all)).rows.map(toEntry);
    return { entries: entries.map((r) => r.entry), ledger };
  });
}

/**
 * `spacepay-mcp db migrate`: brings the schema up to date with the URL's role (the owner), and with
 * `appRole` grants that role what serving needs. Answers the version it left, and what the app role
 * could still do to the trail (a role that owns it, or more, is no least-privilege role).
 */
export async function migrateDatabase(
  databaseUrl: string,
  appRole: string | null,
): Promise<{ version: number; appRolePowers: string[] | null }> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 5_000 });
  try {
    const version = await migrate(pool);
    if (!appRole) return { version, appRolePowers: null };
    await transaction(pool, async (c) => {
      for (const grant of appRoleGrants(appRole)) await run(c, grant);
    });
    return { version, appRolePowers: await trailPowers(pool, appRole) };
  } catch (err) {
    throw describe(err);
  } finally {
    await pool.end().catch(() => {});
  }
}
