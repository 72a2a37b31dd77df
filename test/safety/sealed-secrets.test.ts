// Payment secrets sealed at rest with the state key: never in the database files in plaintext, old
// plaintext rows sealed by the migration, and a row that cannot be opened read as missing, with a
// logged reason instead of a crash.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, vi } from "vitest";
import { it } from "../helpers/fixtures.js";
import { SCHEMA_VERSION, STATE_FILE, openStateStore } from "../../src/safety/index.js";
import { sealSecret } from "../../src/safety/store.js";

afterEach(() => {
  vi.restoreAllMocks();
});

const SECRETS = ["ps_plaintext_secret_alpha_1111", "ps_plaintext_secret_beta_2222"];

/** Every byte SQLite keeps for the state: the database and its journal files. */
function rawBytes(dir: string): string {
  const file = path.join(dir, STATE_FILE);
  return [file, file + "-wal", file + "-shm", file + "-journal"]
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString("latin1"))
    .join("");
}

/** Leaves a state in `dir` holding `secrets` (payment id → secret), closed. */
async function stateHolding(
  dir: string,
  secrets: Record<string, string>,
  opts: { key?: Buffer } = {},
): Promise<void> {
  const store = await openStateStore(dir, opts);
  for (const [id, secret] of Object.entries(secrets)) await store.secrets.put(id, secret);
  store.close();
}

/** The secrets of `ids` as the next start reads them: the state in `dir` opened afresh (and closed). */
async function secretsOnReopen(
  dir: string,
  ids: string[],
  opts: { key?: Buffer } = {},
): Promise<Array<string | undefined>> {
  const store = await openStateStore(dir, opts);
  try {
    return await Promise.all(ids.map((id) => store.secrets.get(id)));
  } finally {
    store.close();
  }
}

/** The schema version 1 wrote (before sealing), as an older spacepay-mcp left it on disk. */
function writeVersion1File(dir: string, secrets: Record<string, string>): void {
  const db = new Database(path.join(dir, STATE_FILE));
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE payment_secrets (payment_id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE withdrawal_ledger (
      id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0), chain_id TEXT, recipient TEXT,
      args_fingerprint TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL CHECK (status IN ('reserved','sent','done','failed','released')), withdrawal_id TEXT);
    CREATE INDEX withdrawal_ledger_window ON withdrawal_ledger (created_at, status);
    CREATE INDEX withdrawal_ledger_fingerprint ON withdrawal_ledger (args_fingerprint, status);
    CREATE TABLE confirmation_tokens (
      token_hash TEXT PRIMARY KEY, tool TEXT NOT NULL, canonical_args TEXT NOT NULL, created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('issued','in_flight','done')),
      idempotency_key TEXT NOT NULL, updated_at INTEGER NOT NULL);`);
  const insert = db.prepare("INSERT INTO payment_secrets VALUES (?, ?, ?)");
  for (const [id, secret] of Object.entries(secrets)) insert.run(id, secret, Date.now());
  db.pragma("user_version = 1");
  db.close();
}

describe("payment secrets at rest", () => {
  it("never reach the database files in plaintext, and read back with the same key", async ({
    stateDir: dir,
  }) => {
    const key = randomBytes(32);
    const store = await openStateStore(dir, { key });
    store.secrets.put("pay_1", SECRETS[0]!);
    store.secrets.put("pay_2", SECRETS[1]!);
    store.secrets.put("pay_2", SECRETS[1]!);
    expect(rawBytes(dir)).not.toContain(SECRETS[0]);
    expect(rawBytes(dir)).not.toContain(SECRETS[1]);
    store.close();
    for (const s of SECRETS) expect(rawBytes(dir)).not.toContain(s);

    const raw = new Database(path.join(dir, STATE_FILE), { readonly: true });
    // Beside the secrets, the state key's canary (key-canary.ts), sealed the same way.
    const rows = raw.prepare("SELECT * FROM payment_secrets").all() as Array<Record<string, unknown>>;
    raw.close();
    expect(rows.map((r) => r.payment_id).sort()).toEqual([
      "pay_1",
      "pay_2",
      "~spacepay-mcp:state-key-canary",
    ]);
    for (const row of rows) {
      expect(row.sealed_secret).toMatch(/^v1\./);
      expect(JSON.stringify(row)).not.toMatch(/ps_plaintext/);
    }

    expect(await secretsOnReopen(dir, ["pay_1", "pay_2"], { key })).toEqual(SECRETS);
  });

  it("an older file's plaintext rows are sealed by the migration and gone from the files", async ({
    stateDir: dir,
  }) => {
    writeVersion1File(dir, { pay_old_1: SECRETS[0]!, pay_old_2: SECRETS[1]! });
    expect(rawBytes(dir)).toContain(SECRETS[0]);

    const store = await openStateStore(dir);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.secrets.get("pay_old_1")).toBe(SECRETS[0]);
    expect(store.secrets.get("pay_old_2")).toBe(SECRETS[1]);
    store.close();
    for (const s of SECRETS) expect(rawBytes(dir)).not.toContain(s);

    // With the generated key the next start reads them the same way.
    expect(await secretsOnReopen(dir, ["pay_old_1"])).toEqual([SECRETS[0]]);
  });

  it("another key: the store does not open, naming SPACEPAY_STATE_KEY; the right key still reads", async ({
    stateDir: dir,
  }) => {
    const key = randomBytes(32);
    await stateHolding(dir, { pay_1: SECRETS[0]! }, { key });
    await expect(openStateStore(dir, { key: randomBytes(32) })).rejects.toThrow(
      /SPACEPAY_STATE_KEY does not open the existing state/,
    );
    expect(await secretsOnReopen(dir, ["pay_1"], { key })).toEqual([SECRETS[0]]);
  });

  it("a row sealed with another key reads as missing, the log says why, nothing crashes", async ({
    stateDir: dir,
  }) => {
    const key = randomBytes(32);
    const store = await openStateStore(dir, { key });
    store.close();
    // As if copied in from another state: sealed to its payment, but under another key.
    const raw = new Database(path.join(dir, STATE_FILE));
    raw
      .prepare("INSERT INTO payment_secrets (payment_id, sealed_secret, created_at) VALUES (?, ?, ?)")
      .run("pay_1", sealSecret(randomBytes(32), "pay_1", SECRETS[0]!), Date.now());
    raw.close();

    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const second = await openStateStore(dir, { key });
    expect(second.secrets.get("pay_1")).toBeUndefined();
    const lines = logged.mock.calls.map((c) => String(c[0]));
    expect(lines.some((l) => /payment secret of pay_1 cannot be opened.*another state key/.test(l))).toBe(
      true,
    );
    expect(lines.join("\n")).not.toContain(SECRETS[0]);
    // The store still works: a fresh secret for the payment replaces the unreadable one.
    second.secrets.put("pay_1", SECRETS[1]!);
    expect(second.secrets.get("pay_1")).toBe(SECRETS[1]);
    second.close();
  });

  it("a sealed secret moved to another payment's row does not open there", async ({ stateDir: dir }) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await stateHolding(dir, { pay_1: SECRETS[0]!, pay_2: SECRETS[1]! });
    const raw = new Database(path.join(dir, STATE_FILE));
    raw.exec(
      "UPDATE payment_secrets SET sealed_secret = (SELECT sealed_secret FROM payment_secrets WHERE payment_id = 'pay_1') WHERE payment_id = 'pay_2'",
    );
    raw.close();
    expect(await secretsOnReopen(dir, ["pay_1", "pay_2"])).toEqual([SECRETS[0], undefined]);
    expect(logged).toHaveBeenCalled();
  });
});
