// Durable safety state in SQLite (SPACEPAY_STATE_DIR/state.sqlite): payment secrets (sealed with the
// state key), the withdrawal ledger behind the rolling cap, pending confirmations, and guarded calls
// (their send lease and sealed answer). Safe with several server processes at once.
import fs from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { SecretStore } from "../domain.js";
import { log } from "../log.js";
import { APPROVALS_SCHEMA } from "./approvals-sql.js";
import { createOrderIndexStore, leaseLock, ORDER_INDEX_SCHEMA, type OrderIndexStore } from "./order-index.js";
import { createApprovalStore, type ApprovalStore, type SqlRunner } from "./approvals.js";
import { createWebhookEventStore, WEBHOOK_EVENTS_SCHEMA, type WebhookEventStore } from "./webhook-events.js";
import { CALLS_TABLE, createCallStore, type CallStore } from "./calls.js";
import {
  CONFIRMATION_TOKENS_TABLE,
  CONFIRMATIONS_TABLE,
  createConfirmationStore,
  type ConfirmationStore,
} from "./confirmations.js";
import {
  createLedger,
  LEDGER_SQL,
  LEDGER_TABLE,
  toEntry,
  type LedgerEntry,
  type LedgerRow,
  type WithdrawalLedger,
} from "./ledger.js";
import { checkKeyCanary } from "./key-canary.js";
import { checkStateFile, ensurePrivateDir, fsyncDir, StateDirError } from "./private-files.js";
import { claimsSealer, open, seal, type ClaimsSealer } from "./seal.js";
import { resolveStateKey } from "./state-key.js";

type Db = BetterSqlite3.Database;

export const STATE_FILE = "state.sqlite";

/** SQL, or a step that needs the state key (it rewrites data, not only the schema). */
type Migration = string | ((db: Db, key: Buffer) => void);

/** What a payment secret is sealed to: its own payment, so rows cannot be swapped (both backends). */
export const secretAad = (paymentId: string) => `payment-secret:${paymentId}`;

/** Ordered schema migrations; index + 1 is the schema version each one brings the file to. */
const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE payment_secrets (
     payment_id TEXT PRIMARY KEY,
     secret     TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   ${LEDGER_TABLE}
   ${CONFIRMATION_TOKENS_TABLE}`.replaceAll("@INT", "INTEGER"),
  // Who a confirmation token was issued to (the OAuth subject; NULL without OAuth), so nobody else can redeem it.
  `ALTER TABLE confirmation_tokens ADD COLUMN caller TEXT;`,
  // 3: payment secrets sealed at rest; rows an older version wrote in plaintext are sealed here.
  (db, key) => {
    db.exec("ALTER TABLE payment_secrets RENAME COLUMN secret TO sealed_secret");
    const rows = db
      .prepare<[], { payment_id: string; sealed_secret: string }>(
        "SELECT payment_id, sealed_secret FROM payment_secrets",
      )
      .all();
    const update = db.prepare<[string, string]>(
      "UPDATE payment_secrets SET sealed_secret = ? WHERE payment_id = ?",
    );
    for (const row of rows)
      update.run(seal(key, row.sealed_secret, secretAad(row.payment_id)), row.payment_id);
  },
  // 4: ids of single-use sealed states (MCP requestState) already accepted.
  `CREATE TABLE consumed_states (
     id         TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX consumed_states_expiry ON consumed_states (expires_at);`,
  // 5: passkey approvals: the approver roster, enrollment links, pending approvals, WebAuthn challenges.
  APPROVALS_SCHEMA,
  // 6: each ledger entry names its audit intent (line number and hash in audit.jsonl), for `audit verify`.
  `ALTER TABLE withdrawal_ledger ADD COLUMN audit_seq INTEGER;
   ALTER TABLE withdrawal_ledger ADD COLUMN audit_hash TEXT;`,
  // 7: pending confirmations by artefact and call identity, and guarded calls (lease and answer). They
  // replace confirmation_tokens and consumed_states, which are no longer read: a token an older
  // version issued is simply not recognised (it lived minutes).
  `${CONFIRMATIONS_TABLE}\n${CALLS_TABLE}`.replaceAll("@INT", "INTEGER"),
  // 8: the order index (orderId → payment ids), the same schema as PostgreSQL's migration 5.
  ORDER_INDEX_SCHEMA.replaceAll("@INT", "INTEGER"),
  // 9: webhook event ids already received, the same schema as PostgreSQL's migration 6.
  WEBHOOK_EVENTS_SCHEMA.replaceAll("@INT", "INTEGER"),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The SQLite backend, synchronous (better-sqlite3); store-sqlite.ts presents it as the async StateStore. */
export interface SqliteStore {
  readonly file: string;
  readonly schemaVersion: number;
  /** Sealed at rest; a secret that cannot be opened reads as missing (logged with the reason). */
  readonly secrets: SecretStore;
  readonly ledger: WithdrawalLedger;
  readonly confirmations: ConfirmationStore;
  readonly calls: CallStore;
  readonly claims: ClaimsSealer;
  /** Passkey approvals (already async: one implementation over both backends' statements). */
  readonly approvals: ApprovalStore;
  /** The order index (already async, like approvals). */
  readonly orderIndex: OrderIndexStore;
  /** Webhook event ids already received (already async, like approvals). */
  readonly webhookEvents: WebhookEventStore;
  /**
   * Runs `fn` holding the database's write lock (BEGIN IMMEDIATE), which every process sharing the
   * file waits for: the audit log's lock. The OS drops it when a process dies, so it never goes stale.
   */
  exclusive<T>(fn: () => T): T;
  close(): void;
}

export interface OpenStateStoreOptions {
  /** The configured state key (SPACEPAY_STATE_KEY); without one, the directory's generated key. */
  key?: Buffer | null;
}

/**
 * Opens (creating when needed) the state database in `dir`. Async because better-sqlite3 is loaded
 * on first use: a server that never moves money does not pay for the native module at startup.
 */
export async function openStateStore(dir: string, opts: OpenStateStoreOptions = {}): Promise<SqliteStore> {
  const { default: Database } = await import("better-sqlite3");
  ensurePrivateDir(dir);
  const key = resolveStateKey({ configured: opts.key ?? null, dir });
  const file = path.join(dir, STATE_FILE);
  // better-sqlite3 cannot open with O_NOFOLLOW, so check before opening: no symlink, a regular file
  // we own (the journal files too). The private directory is what keeps this check from going stale.
  for (const f of [file, file + "-wal", file + "-shm"]) checkStateFile(f);
  // Create the file 0600 ourselves so it never exists with umask permissions; SQLite gives its
  // journal files the same mode. A file we did not create keeps the mode it has.
  if (!fs.existsSync(file)) {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    try {
      fs.closeSync(fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0), 0o600));
      fsyncDir(dir);
    } catch (err) {
      // Another process sharing the directory created it first.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }

  const db = new Database(file);
  try {
    // Wait for other processes' write locks instead of failing with SQLITE_BUSY.
    db.pragma("busy_timeout = 5000");
    db.pragma("journal_mode = WAL");
    // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss. A lost
    // reservation would lose the idempotency key of a withdrawal the API may already have, and
    // under-count the daily cap. One fsync per money-moving call is a negligible cost.
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    // Deleted and overwritten content is zeroed, so a plaintext secret an older version stored does
    // not survive in free space once migration 3 has sealed it.
    db.pragma("secure_delete = ON");
    if (migrate(db, key)) {
      // Leave no page image from before the migration in the write-ahead log either.
      db.pragma("wal_checkpoint(TRUNCATE)");
    }
    await checkKeyCanary(
      key,
      {
        one: async <R>(sql: string, params: Record<string, unknown>) =>
          db.prepare(sql).get(params) as R | undefined,
        run: async (sql, params) => void db.prepare(sql).run(params),
      },
      { configured: Boolean(opts.key), secretAad },
    );
  } catch (err) {
    db.close();
    throw err;
  }

  return {
    file,
    schemaVersion: db.pragma("user_version", { simple: true }) as number,
    secrets: createSecretStore(db, key),
    ledger: createLedger(db),
    confirmations: createConfirmationStore(db),
    calls: createCallStore(db),
    claims: claimsSealer(key),
    approvals: createApprovalStore(sqliteRunner(db)),
    orderIndex: createOrderIndexStore(sqliteRunner(db), leaseLock(sqliteRunner(db))),
    webhookEvents: createWebhookEventStore(sqliteRunner(db)),
    exclusive: (fn) => db.transaction(fn).immediate(),
    close: () => db.close(),
  };
}

/**
 * The withdrawal ledger in `dir`, read only and without the state key, for `audit verify`; null when
 * the directory has no state database.
 */
export async function readSqliteLedger(dir: string): Promise<LedgerEntry[] | null> {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'withdrawal_ledger'").get()) return [];
    return db
      .prepare(LEDGER_SQL.all)
      .all()
      .map((r) => toEntry(r as LedgerRow));
  } finally {
    db.close();
  }
}

/**
 * Applies pending migrations; true when this call applied any. Each runs in its own IMMEDIATE
 * transaction that re-reads the version, so two processes opening a fresh directory at once do not
 * both apply the same step.
 */
function migrate(db: Db, key: Buffer): boolean {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StateDirError(
      `State database schema version ${current} is newer than this server understands (${MIGRATIONS.length}); upgrade spacepay-mcp or use another SPACEPAY_STATE_DIR.`,
    );
  }
  let applied = false;
  MIGRATIONS.forEach((step, index) => {
    const target = index + 1;
    db.transaction(() => {
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version >= target) return;
      if (typeof step === "string") db.exec(step);
      else step(db, key);
      db.pragma(`user_version = ${target}`);
      applied = true;
    }).immediate();
  });
  return applied;
}

/** Statements through better-sqlite3, presented as the async runner the approvals store shares with PostgreSQL. */
function sqliteRunner(db: Db): SqlRunner {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string) => {
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = db.prepare(sql)));
    return st;
  };
  return {
    rows: async <R>(sql: string, params: Record<string, unknown> = {}) => prepared(sql).all(params) as R[],
    run: async (sql, params = {}) => prepared(sql).run(params).changes,
  };
}

/** The payment-secret statements, written once for both backends (see LEDGER_SQL). */
export const SECRET_SQL = {
  get: "SELECT sealed_secret FROM payment_secrets WHERE payment_id = @paymentId",
  put: `INSERT INTO payment_secrets (payment_id, sealed_secret, created_at) VALUES (@paymentId, @sealed, @now)
        ON CONFLICT (payment_id) DO UPDATE SET sealed_secret = excluded.sealed_secret`,
} as const;

/** A payment secret sealed to its own payment (rows cannot be swapped), for either backend. */
export function sealSecret(key: Buffer, paymentId: string, secret: string): string {
  return seal(key, secret, secretAad(paymentId));
}

/** Opens a stored payment secret; one that cannot be opened reads as missing, logged with the reason. */
export function openSecret(key: Buffer, paymentId: string, sealed: string | undefined): string | undefined {
  if (sealed === undefined) return undefined;
  const opened = open(key, sealed, secretAad(paymentId));
  if (opened.ok) return opened.plaintext;
  // Not a crash: the tools ask for the paymentSecret instead, as for a payment we never stored.
  log("warn", `the stored payment secret of ${paymentId} cannot be opened; treating it as missing`, {
    reason:
      opened.reason === "tampered"
        ? "sealed with another state key (SPACEPAY_STATE_KEY or state.key changed) or altered"
        : "not a sealed value",
  });
  return undefined;
}

function createSecretStore(db: Db, key: Buffer): SecretStore {
  const get = db.prepare(SECRET_SQL.get);
  const put = db.prepare(SECRET_SQL.put);
  return {
    get: (paymentId) =>
      openSecret(
        key,
        paymentId,
        (get.get({ paymentId }) as { sealed_secret: string } | undefined)?.sealed_secret,
      ),
    put: (paymentId, secret) =>
      void put.run({ paymentId, sealed: sealSecret(key, paymentId, secret), now: Date.now() }),
  };
}
