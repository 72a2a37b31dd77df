// The durable state file: private permissions, WAL, migrations, and data that outlives the process.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION, STATE_FILE, openStateStore } from "../../src/safety/index.js";
import { fileMode, removeDir, tempDir } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

describe("state store", () => {
  it("creates a private directory and a 0600 database in WAL mode", async () => {
    const stateDir = path.join(dir, "nested", "state");
    const store = await openStateStore(stateDir);
    store.secrets.put("pay_1", "ps_secret_1");
    expect(fileMode(stateDir)).toBe(0o700);
    const file = path.join(stateDir, STATE_FILE);
    expect(fileMode(file)).toBe(0o600);
    for (const suffix of ["-wal", "-shm"]) {
      if (fs.existsSync(file + suffix)) expect(fileMode(file + suffix)).toBe(0o600);
    }
    store.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("never chmods a state file it did not create", async () => {
    const file = path.join(dir, STATE_FILE);
    fs.writeFileSync(file, "");
    fs.chmodSync(file, 0o640);
    const store = await openStateStore(dir);
    expect(fileMode(file)).toBe(0o640);
    store.close();
  });

  it("keeps payment secrets, ledger entries and tokens across a reopen", async () => {
    const first = await openStateStore(dir);
    first.secrets.put("pay_1", "ps_secret_1");
    first.ledger.reserve({
      amountCents: 100,
      capCents: 1_000,
      windowMs: 86_400_000,
      now: new Date(),
      argsFingerprint: "fp",
      idempotencyKey: "key-1",
    });
    first.tokens.issue({
      tokenHash: "h",
      tool: "create_withdrawal",
      canonicalArgs: "{}",
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      idempotencyKey: "key-1",
    });
    first.close();

    const second = await openStateStore(dir);
    expect(second.secrets.get("pay_1")).toBe("ps_secret_1");
    expect(second.secrets.get("pay_unknown")).toBeUndefined();
    expect(second.ledger.findByKey("key-1")?.status).toBe("reserved");
    expect(second.tokens.get("h")?.state).toBe("issued");
    second.close();
  });

  it("applies migrations once: reopening leaves the schema version and data alone", async () => {
    for (let i = 0; i < 3; i++) {
      const store = await openStateStore(dir);
      expect(store.schemaVersion).toBe(SCHEMA_VERSION);
      store.secrets.put(`pay_${i}`, `secret_${i}`);
      store.close();
    }
    const store = await openStateStore(dir);
    expect([0, 1, 2].map((i) => store.secrets.get(`pay_${i}`))).toEqual(["secret_0", "secret_1", "secret_2"]);
    store.close();
  });

  it("two stores opening a fresh directory at once both end up on the current schema", async () => {
    const [a, b] = await Promise.all([openStateStore(dir), openStateStore(dir)]);
    expect(a.schemaVersion).toBe(SCHEMA_VERSION);
    expect(b.schemaVersion).toBe(SCHEMA_VERSION);
    a.close();
    b.close();
  });

  it("refuses a database written by a newer version instead of corrupting it", async () => {
    (await openStateStore(dir)).close();
    const raw = new Database(path.join(dir, STATE_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openStateStore(dir)).rejects.toThrow(/newer than this server understands/);
  });

  it("overwrites a payment secret stored twice for the same payment", async () => {
    const store = await openStateStore(dir);
    store.secrets.put("pay_1", "old");
    store.secrets.put("pay_1", "new");
    expect(store.secrets.get("pay_1")).toBe("new");
    store.close();
  });
});
