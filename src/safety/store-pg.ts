// The shared backend: all durable state in PostgreSQL (SPACEPAY_DATABASE_URL), so every instance
// behind a proxy sees one rolling cap, one set of confirmation tokens and payment secrets, and one
// audit trail. Loaded only when a database URL is set, like `pg` itself.
import type { Pool, QueryResultRow } from "pg";
import { log } from "../log.js";
import { APPROVALS_SCHEMA, createApprovalStore } from "./approvals.js";
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
import { CALL_RETENTION_MS, CALL_SQL, CALLS_TABLE } from "./calls.js";
import { CONFIRMATION_SQL, CONFIRMATIONS_TABLE, pruneBefore } from "./confirmations.js";
import { PG_WHERE, connect, describe, run, transaction, type Queryable } from "./pg-run.js";
import { StateUnavailableError, type StateLedger, type StateStore } from "./state.js";
import { createPgCalls, createPgConfirmations } from "./store-pg-calls.js";
import { resolveStateKey } from "./state-key.js";
import { claimsSealer } from "./seal.js";
import { checkKeyCanary } from "./key-canary.js";
import { SECRET_SQL, openSecret, sealSecret, secretAad } from "./store.js";

export { PG_WHERE } from "./pg-run.js";

/** Ordered schema migrations; index + 1 is the version each brings the database to. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE payment_secrets (
     payment_id TEXT PRIMARY KEY,
     -- Sealed with the state key (AES-256-GCM, bound to the payment id); never plaintext.
     sealed_secret TEXT NOT NULL,
     created_at    BIGINT NOT NULL
   );
   -- Ids of single-use sealed states (MCP requestState) already accepted, by any instance.
   CREATE TABLE consumed_states (
     id         TEXT PRIMARY KEY,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX consumed_states_expiry ON consumed_states (expires_at);
   CREATE TABLE withdrawal_ledger (
     id               TEXT PRIMARY KEY,
     created_at       BIGINT NOT NULL,
     updated_at       BIGINT NOT NULL,
     amount_cents     BIGINT NOT NULL CHECK (amount_cents >= 0),
     chain_id         TEXT,
     recipient        TEXT,
     args_fingerprint TEXT NOT NULL,
     idempotency_key  TEXT NOT NULL UNIQUE,
     status           TEXT NOT NULL CHECK (status IN ('reserved','sent','done','failed','released')),
     withdrawal_id    TEXT
   );
   CREATE INDEX withdrawal_ledger_window ON withdrawal_ledger (created_at, status);
   CREATE INDEX withdrawal_ledger_fingerprint ON withdrawal_ledger (args_fingerprint, status);
   CREATE TABLE confirmation_tokens (
     token_hash      TEXT PRIMARY KEY,
     tool            TEXT NOT NULL,
     canonical_args  TEXT NOT NULL,
     created_at      BIGINT NOT NULL,
     expires_at      BIGINT NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('issued','in_flight','done')),
     idempotency_key TEXT NOT NULL,
     updated_at      BIGINT NOT NULL,
     -- Who the token was issued to (the OAuth subject; NULL without OAuth): nobody else redeems it.
     caller          TEXT
   );
   -- The entry is kept as the exact text written (not jsonb, which reorders keys), ordered by id.
   CREATE TABLE audit_log (
     id    BIGSERIAL PRIMARY KEY,
     entry TEXT NOT NULL
   );
   CREATE FUNCTION spacepay_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
   CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION spacepay_audit_append_only();`,
  // 2: passkey approvals, the same schema as SQLite's migration 5.
  APPROVALS_SCHEMA,
  // 3: each entry's position in the trail (what a ledger entry and an anchored head name), existing
  // rows numbered in id order; TRUNCATE refused like UPDATE and DELETE, for every role but the owner
  // (who can disable triggers: hence a least-privilege role to serve with); and each ledger entry
  // names its audit intent.
  `ALTER TABLE audit_log ADD COLUMN seq BIGINT;
   ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
   UPDATE audit_log SET seq = numbered.n
     FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log) numbered
     WHERE audit_log.id = numbered.id;
   ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
   ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL;
   CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
   CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION spacepay_audit_append_only();
   ALTER TABLE withdrawal_ledger ADD COLUMN audit_seq BIGINT, ADD COLUMN audit_hash TEXT;`,
  // 4: pending confirmations and guarded calls (see the SQLite migration 7); confirmation_tokens and
  // consumed_states are no longer read.
  `${CONFIRMATIONS_TABLE}\n${CALLS_TABLE}`.replaceAll("@INT", "BIGINT"),
];

/**
 * What the role the server runs as needs, and no more: on audit_log only INSERT and SELECT, so it
 * can neither TRUNCATE the trail nor, not owning it, disable its triggers. The README shows these
 * for a role named spacepay_app; `spacepay-mcp db migrate --app-role NAME` runs them.
 */
export function appRoleGrants(role: string): string[] {
  const r = quoteIdent(role);
  return [
    `GRANT SELECT, INSERT, UPDATE, DELETE ON payment_secrets, confirmations, guarded_calls TO ${r};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON approvers, approver_passkeys, approver_enrollments, pending_approvals, approval_votes, webauthn_challenges TO ${r};`,
    `GRANT SELECT, INSERT, UPDATE ON withdrawal_ledger TO ${r};`,
    `GRANT SELECT, INSERT ON audit_log TO ${r};`,
    `GRANT USAGE ON SEQUENCE audit_log_id_seq TO ${r};`,
    `GRANT SELECT ON spacepay_schema_version TO ${r};`,
  ];
}

/** A role name as SQL: bare when it is a plain lower-case name, else quoted. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

// Advisory lock keys (any constants, the same in every instance): one for migrations, one for the ledger.
const MIGRATION_LOCK = 0x53504d01;
const LEDGER_LOCK = 0x53504d02;
/** Orders audit appends across instances: each reads the last entry to chain to it. */
const AUDIT_LOCK = 0x53504d03;
/** The schema version, without creating anything (0 for an empty database): a serving role may not. */
async function schemaVersion(db: Queryable): Promise<number> {
  const exists = await run<{ t: string | null }>(db, "SELECT to_regclass('spacepay_schema_version') AS t");
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await run<{ v: number | null }>(
    db,
    "SELECT MAX(version) AS v FROM spacepay_schema_version",
  );
  return Number(rows[0]?.v ?? 0);
}

async function migrate(pool: Pool): Promise<number> {
  // Nothing to do is the usual start, and the only one a least-privilege role can make.
  const found = await schemaVersion(pool);
  if (found === MIGRATIONS.length) return found;
  try {
    return await applyMigrations(pool);
  } catch (err) {
    if ((err as { code?: string }).code !== "42501") throw err;
    throw new Error(
      `${PG_WHERE} is at schema version ${found} and this server needs ${MIGRATIONS.length}, but its role may not change the schema: run \`spacepay-mcp db migrate\` with the owner's URL.`,
    );
  }
}

async function applyMigrations(pool: Pool): Promise<number> {
  const client = await connect(pool);
  try {
    // Session lock: instances starting together take turns; the second finds the work done.
    await run(client, `SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await run(client, "CREATE TABLE IF NOT EXISTS spacepay_schema_version (version INTEGER NOT NULL)");
      const { rows } = await run<{ v: number | null }>(
        client,
        "SELECT MAX(version) AS v FROM spacepay_schema_version",
      );
      const current = Number(rows[0]?.v ?? 0);
      if (current > MIGRATIONS.length) {
        throw new StateUnavailableError(
          `State database schema version ${current} is newer than this server understands (${MIGRATIONS.length}); upgrade spacepay-mcp or use another database.`,
          "SPACEPAY_DATABASE_URL",
        );
      }
      for (let v = current + 1; v <= MIGRATIONS.length; v++) {
        await run(client, "BEGIN");
        try {
          await client.query(MIGRATIONS[v - 1]!);
          await run(client, "INSERT INTO spacepay_schema_version (version) VALUES (@v)", { v });
          await run(client, "COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {});
          throw describe(err);
        }
      }
      return MIGRATIONS.length;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => {});
    }
  } finally {
    client.release();
  }
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
      approvals: createApprovalStore({
        rows: async <R>(sql: string, params?: Record<string, unknown>) =>
          (await run(pool, sql, params)).rows as R[],
        run: async (sql, params) => (await run(pool, sql, params)).rowCount,
      }),
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
