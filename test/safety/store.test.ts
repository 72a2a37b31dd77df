// The durable state: on both backends, data that outlives the process, migrations applied once, and
// tokens claimed once; for SQLite, the file's private permissions and WAL.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION, STATE_FILE, openStateStore, type TokenRecord } from "../../src/safety/index.js";
import { PG_START_TIMEOUT_MS, stateBackends, type StatePlace } from "./backends.js";
import { fileMode, removeDir, tempDir } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

describe("SQLite state file", () => {
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

  it("refuses a database written by a newer version instead of corrupting it", async () => {
    (await openStateStore(dir)).close();
    const raw = new Database(path.join(dir, STATE_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openStateStore(dir)).rejects.toThrow(/newer than this server understands/);
  });
});

const BACKENDS = stateBackends();

describe.each(BACKENDS)("state on $name", (backend) => {
  let place: StatePlace;
  beforeEach(async () => {
    place = await backend.fresh();
  }, PG_START_TIMEOUT_MS);
  afterEach(() => place.cleanup());

  const token = (hash: string, overrides: Partial<TokenRecord> = {}) => ({
    tokenHash: hash,
    tool: "create_withdrawal",
    canonicalArgs: "{}",
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    idempotencyKey: `key-${hash}`,
    ...overrides,
  });

  it("keeps payment secrets, ledger entries and tokens across a reopen", async () => {
    const first = await place.open();
    await first.secrets.put("pay_1", "ps_secret_1");
    await first.ledger.reserve({
      amountCents: 100,
      capCents: 1_000,
      windowMs: 86_400_000,
      now: new Date(),
      argsFingerprint: "fp",
      idempotencyKey: "key-1",
    });
    await first.tokens.issue(token("h"));
    await first.close();

    const second = await place.open();
    expect(await second.secrets.get("pay_1")).toBe("ps_secret_1");
    expect(await second.secrets.get("pay_unknown")).toBeUndefined();
    expect((await second.ledger.findByKey("key-1"))?.status).toBe("reserved");
    expect((await second.tokens.get("h"))?.state).toBe("issued");
  });

  it("applies migrations once: reopening leaves the schema version and data alone", async () => {
    for (let i = 0; i < 3; i++) {
      const store = await place.open();
      expect(store.schemaVersion).toBeGreaterThanOrEqual(1);
      await store.secrets.put(`pay_${i}`, `secret_${i}`);
      await store.close();
    }
    const store = await place.open();
    expect(await Promise.all([0, 1, 2].map((i) => store.secrets.get(`pay_${i}`)))).toEqual([
      "secret_0",
      "secret_1",
      "secret_2",
    ]);
  });

  it("two stores opening a fresh place at once both end up on the current schema", async () => {
    const [a, b] = await Promise.all([place.open(), place.open(), place.open()]);
    expect(a.schemaVersion).toBe(b.schemaVersion);
    await a.secrets.put("pay_x", "s");
    expect(await b.secrets.get("pay_x")).toBe("s");
  });

  it("overwrites a payment secret stored twice for the same payment", async () => {
    const store = await place.open();
    await store.secrets.put("pay_1", "old");
    await store.secrets.put("pay_1", "new");
    expect(await store.secrets.get("pay_1")).toBe("new");
  });

  it("a token is claimed once: used after finish, refused once expired, resumable while in flight", async () => {
    const store = await place.open();
    const now = new Date();
    await store.tokens.issue(token("once"));
    expect(await store.tokens.claim("unknown", now, 60_000)).toEqual({ ok: false, reason: "unknown" });
    expect(await store.tokens.claim("once", now, 60_000)).toMatchObject({ ok: true, resumed: false });
    // In flight (the first call crashed): presenting it again resumes with the same key.
    expect(await store.tokens.claim("once", now, 60_000)).toMatchObject({
      ok: true,
      resumed: true,
      record: { idempotencyKey: "key-once", state: "in_flight" },
    });
    await store.tokens.finish("once", now);
    expect(await store.tokens.claim("once", now, 60_000)).toMatchObject({ ok: false, reason: "used" });

    await store.tokens.issue(token("late", { expiresAt: now.getTime() - 1 }));
    expect(await store.tokens.claim("late", now, 60_000)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("of two connections claiming the same token at once, exactly one wins it", async () => {
    const [a, b] = [await place.open(), await place.open()];
    const hashes = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    for (const h of hashes) await a.tokens.issue(token(h));
    const now = new Date();
    for (const h of hashes) {
      const claims = await Promise.all([a.tokens.claim(h, now, 60_000), b.tokens.claim(h, now, 60_000)]);
      expect(
        claims.filter((c) => c.ok && !c.resumed),
        h,
      ).toHaveLength(1);
    }
  });

  it("a sealed state is consumed once across connections, and never once expired", async () => {
    const [a, b] = [await place.open(), await place.open()];
    const now = new Date();
    const until = now.getTime() + 60_000;
    const firsts = await Promise.all(
      [a, b, a, b].map((s) => s.consumedStates.consume("state-1", until, now)),
    );
    expect(firsts.filter(Boolean)).toHaveLength(1);
    expect(await b.consumedStates.consume("state-2", now.getTime() - 1, now)).toBe(false);
  });

  it("claims sealed on one connection open on another (one state key), for their purpose only", async () => {
    // A requestState minted by one instance is answered on whichever instance the retry reaches.
    const [a, b] = [await place.open(), await place.open()];
    const now = new Date();
    const sealed = a.claims.seal("request-state", { tool: "create_withdrawal" }, now.getTime() + 60_000);
    const opened = b.claims.open<{ tool: string }>("request-state", sealed, now);
    expect(opened.ok && opened.claims.tool).toBe("create_withdrawal");
    expect(b.claims.open("other-purpose", sealed, now)).toEqual({ ok: false, reason: "tampered" });
  });

  it("keeps the audit trail in order, readable from another connection", async () => {
    const [a, b] = [await place.open(), await place.open()];
    for (let i = 0; i < 5; i++) {
      await (i % 2 ? b : a).audit.append({
        time: new Date().toISOString(),
        event: "intent",
        tool: "create_withdrawal",
        args: {},
        confirmation: "token",
        idempotencyKey: `audit-${i}`,
      });
    }
    expect((await a.audit.readRecent(3)).map((e) => e.idempotencyKey)).toEqual([
      "audit-2",
      "audit-3",
      "audit-4",
    ]);
    expect(await b.audit.readRecent(100)).toHaveLength(5);
  });
});

it(
  "PostgreSQL: refuses a database migrated by a newer version instead of touching it",
  async () => {
    const place = await BACKENDS.find((b) => b.name === "postgres")!.fresh();
    try {
      await (await place.open()).close();
      const client = new pg.Client({ connectionString: place.databaseUrl });
      await client.connect();
      await client.query("INSERT INTO spacepay_schema_version (version) VALUES (999)");
      await client.end();
      await expect(place.open()).rejects.toThrow(/newer than this server understands/);
    } finally {
      await place.cleanup();
    }
  },
  PG_START_TIMEOUT_MS,
);

it(
  "PostgreSQL: payment secrets are sealed in the database, never plaintext",
  async () => {
    const place = await BACKENDS.find((b) => b.name === "postgres")!.fresh();
    try {
      const store = await place.open();
      await store.secrets.put("pay_sealed", "ps_plaintext_secret_value");
      const client = new pg.Client({ connectionString: place.databaseUrl });
      await client.connect();
      const { rows } = await client.query("SELECT * FROM payment_secrets");
      await client.end();
      // The secret, and the state key's canary (key-canary.ts) sealed the same way.
      expect(rows.map((r: { payment_id: string }) => r.payment_id).sort()).toEqual([
        "pay_sealed",
        "~spacepay-mcp:state-key-canary",
      ]);
      expect(JSON.stringify(rows)).not.toContain("ps_plaintext_secret_value");
      expect(await store.secrets.get("pay_sealed")).toBe("ps_plaintext_secret_value");
    } finally {
      await place.cleanup();
    }
  },
  PG_START_TIMEOUT_MS,
);
