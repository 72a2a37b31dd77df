// Durable safety state in SQLite (SPACEPAY_STATE_DIR/state.sqlite): payment secrets, the withdrawal
// ledger behind the rolling cap, and confirmation tokens. Safe with several server processes at once.
import fs from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { SecretStore } from "../domain.js";
import { createLedger, type WithdrawalLedger } from "./ledger.js";
import { checkStateFile, ensurePrivateDir, fsyncDir } from "./private-files.js";

type Db = BetterSqlite3.Database;

export const STATE_FILE = "state.sqlite";

/** Ordered schema migrations; index + 1 is the schema version each one brings the file to. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE payment_secrets (
     payment_id TEXT PRIMARY KEY,
     secret     TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE withdrawal_ledger (
     id               TEXT PRIMARY KEY,
     created_at       INTEGER NOT NULL,
     updated_at       INTEGER NOT NULL,
     amount_cents     INTEGER NOT NULL CHECK (amount_cents >= 0),
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
     created_at      INTEGER NOT NULL,
     expires_at      INTEGER NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('issued','in_flight','done')),
     idempotency_key TEXT NOT NULL,
     updated_at      INTEGER NOT NULL
   );`,
  // Who a confirmation token was issued to (the OAuth subject; NULL without OAuth), so nobody else can redeem it.
  `ALTER TABLE confirmation_tokens ADD COLUMN caller TEXT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export type TokenState = "issued" | "in_flight" | "done";

export interface TokenRecord {
  tokenHash: string;
  tool: string;
  canonicalArgs: string;
  createdAt: number;
  expiresAt: number;
  state: TokenState;
  idempotencyKey: string;
  /** The OAuth subject the token was issued to; null when the server has no callers' identities. */
  caller: string | null;
}

/** Outcome of presenting a token: the state it was in, and whether this call now owns it. */
export type TokenClaim =
  | { ok: true; record: TokenRecord; resumed: boolean }
  | { ok: false; reason: "unknown" | "used" | "expired"; record?: TokenRecord };

export interface TokenStore {
  issue(record: Omit<TokenRecord, "state" | "caller"> & { caller?: string | null }): void;
  get(tokenHash: string): TokenRecord | undefined;
  /**
   * Atomically moves an unexpired `issued` token to `in_flight`. An `in_flight` token (a call that
   * crashed or failed ambiguously after claiming it) may be claimed again until `resumeUntil`
   * (epoch ms, measured from issue), so the retry reuses its idempotency key.
   */
  claim(tokenHash: string, now: Date, resumeWindowMs: number): TokenClaim;
  /** Marks a token used for good (success, or a failure where nothing can have been sent). */
  finish(tokenHash: string, now: Date): void;
}

export interface StateStore {
  readonly file: string;
  readonly schemaVersion: number;
  readonly secrets: SecretStore;
  readonly ledger: WithdrawalLedger;
  readonly tokens: TokenStore;
  close(): void;
}

/**
 * Opens (creating when needed) the state database in `dir`. Async because better-sqlite3 is loaded
 * on first use: a server that never moves money does not pay for the native module at startup.
 */
export async function openStateStore(dir: string): Promise<StateStore> {
  const { default: Database } = await import("better-sqlite3");
  ensurePrivateDir(dir);
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
    migrate(db);
    pruneTokens(db, Date.now());
  } catch (err) {
    db.close();
    throw err;
  }

  return {
    file,
    schemaVersion: db.pragma("user_version", { simple: true }) as number,
    secrets: createSecretStore(db),
    ledger: createLedger(db),
    tokens: createTokenStore(db),
    close: () => db.close(),
  };
}

/**
 * Applies pending migrations. Each runs in its own IMMEDIATE transaction that re-reads the version,
 * so two processes opening a fresh directory at once do not both apply the same step.
 */
function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `State database schema version ${current} is newer than this server understands (${MIGRATIONS.length}); upgrade spacepay-mcp or use another SPACEPAY_STATE_DIR.`,
    );
  }
  MIGRATIONS.forEach((sql, index) => {
    const target = index + 1;
    db.transaction(() => {
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version >= target) return;
      db.exec(sql);
      db.pragma(`user_version = ${target}`);
    }).immediate();
  });
}

/** Old tokens are useless once they can neither be used nor resumed; in_flight ones are kept as evidence. */
const TOKEN_RETENTION_MS = 7 * 24 * 3600 * 1000;
function pruneTokens(db: Db, nowMs: number): void {
  db.prepare("DELETE FROM confirmation_tokens WHERE state != 'in_flight' AND expires_at < ?").run(
    nowMs - TOKEN_RETENTION_MS,
  );
}

function createSecretStore(db: Db): SecretStore {
  const get = db.prepare<[string], { secret: string }>(
    "SELECT secret FROM payment_secrets WHERE payment_id = ?",
  );
  const put = db.prepare<[string, string, number]>(
    `INSERT INTO payment_secrets (payment_id, secret, created_at) VALUES (?, ?, ?)
     ON CONFLICT (payment_id) DO UPDATE SET secret = excluded.secret`,
  );
  return {
    get: (paymentId) => get.get(paymentId)?.secret,
    put: (paymentId, secret) => void put.run(paymentId, secret, Date.now()),
  };
}

interface TokenRow {
  token_hash: string;
  tool: string;
  canonical_args: string;
  created_at: number;
  expires_at: number;
  state: TokenState;
  idempotency_key: string;
  caller: string | null;
}

function toTokenRecord(row: TokenRow): TokenRecord {
  return {
    tokenHash: row.token_hash,
    tool: row.tool,
    canonicalArgs: row.canonical_args,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    state: row.state,
    idempotencyKey: row.idempotency_key,
    caller: row.caller,
  };
}

function createTokenStore(db: Db): TokenStore {
  const insert = db.prepare(
    `INSERT INTO confirmation_tokens
       (token_hash, tool, canonical_args, created_at, expires_at, state, idempotency_key, updated_at, caller)
     VALUES (@tokenHash, @tool, @canonicalArgs, @createdAt, @expiresAt, 'issued', @idempotencyKey, @createdAt, @caller)`,
  );
  const select = db.prepare<[string], TokenRow>("SELECT * FROM confirmation_tokens WHERE token_hash = ?");
  const setState = db.prepare<[TokenState, number, string]>(
    "UPDATE confirmation_tokens SET state = ?, updated_at = ? WHERE token_hash = ?",
  );
  const get = (tokenHash: string) => {
    const row = select.get(tokenHash);
    return row ? toTokenRecord(row) : undefined;
  };

  const claim = db.transaction((tokenHash: string, nowMs: number, resumeWindowMs: number): TokenClaim => {
    const record = get(tokenHash);
    if (!record) return { ok: false, reason: "unknown" };
    if (record.state === "done") return { ok: false, reason: "used", record };
    if (record.state === "in_flight") {
      if (nowMs > record.createdAt + resumeWindowMs) return { ok: false, reason: "expired", record };
      return { ok: true, record, resumed: true };
    }
    if (nowMs >= record.expiresAt) return { ok: false, reason: "expired", record };
    setState.run("in_flight", nowMs, tokenHash);
    return { ok: true, record: { ...record, state: "in_flight" }, resumed: false };
  });

  return {
    issue: (record) => void insert.run({ caller: null, ...record }),
    get,
    claim: (tokenHash, now, resumeWindowMs) => claim.immediate(tokenHash, now.getTime(), resumeWindowMs),
    finish: (tokenHash, now) => void setState.run("done", now.getTime(), tokenHash),
  };
}
