// The PostgreSQL schema: its ordered migrations, how a server brings a database up to date (or
// refuses, when its least-privilege role may not), and the grants a serving role needs.
import type { Pool } from "pg";
import { APPROVALS_SCHEMA } from "./approvals-sql.js";
import { CALLS_TABLE } from "./calls.js";
import { ORDER_INDEX_SCHEMA } from "./order-index.js";
import { WEBHOOK_EVENTS_SCHEMA } from "./webhook-events.js";
import { CONFIRMATION_TOKENS_TABLE, CONFIRMATIONS_TABLE } from "./confirmations.js";
import { LEDGER_TABLE } from "./ledger.js";
import { PG_WHERE, connect, describe, run, type Queryable } from "./pg-run.js";
import { StateUnavailableError } from "./state.js";
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
   ${LEDGER_TABLE}
   ${CONFIRMATION_TOKENS_TABLE}
   -- Who a token was issued to (the OAuth subject; NULL without OAuth): nobody else redeems it.
   ALTER TABLE confirmation_tokens ADD COLUMN caller TEXT;
   -- The entry is kept as the exact text written (not jsonb, which reorders keys), ordered by id.
   CREATE TABLE audit_log (
     id    BIGSERIAL PRIMARY KEY,
     entry TEXT NOT NULL
   );
   CREATE FUNCTION spacepay_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
   CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION spacepay_audit_append_only();`.replaceAll("@INT", "BIGINT"),
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
  // 5: the order index, the same schema as SQLite's migration 8.
  ORDER_INDEX_SCHEMA.replaceAll("@INT", "BIGINT"),
  // 6: webhook event ids already received, the same schema as SQLite's migration 9.
  WEBHOOK_EVENTS_SCHEMA.replaceAll("@INT", "BIGINT"),
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
    `GRANT SELECT, INSERT, UPDATE, DELETE ON order_index, order_index_sync TO ${r};`,
    `GRANT SELECT, INSERT, DELETE ON webhook_events TO ${r};`,
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

// Advisory lock key (any constant, the same in every instance): instances starting together take turns.
const MIGRATION_LOCK = 0x53504d01;

/** The schema version, without creating anything (0 for an empty database): a serving role may not. */
export async function schemaVersion(db: Queryable): Promise<number> {
  const exists = await run<{ t: string | null }>(db, "SELECT to_regclass('spacepay_schema_version') AS t");
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await run<{ v: number | null }>(
    db,
    "SELECT MAX(version) AS v FROM spacepay_schema_version",
  );
  return Number(rows[0]?.v ?? 0);
}

/** Brings the schema up to date, or says plainly why this role may not. */
export async function migrate(pool: Pool): Promise<number> {
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
