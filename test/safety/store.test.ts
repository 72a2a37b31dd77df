// The durable state: on both backends, data that outlives the process, migrations applied once, and
// confirmations decided once and calls sent once; for SQLite, the file's private permissions and WAL.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import {
  SCHEMA_VERSION,
  STATE_FILE,
  openStateStore,
  type ConfirmationRecord,
} from "../../src/safety/index.js";
import { PG_START_TIMEOUT_MS, stateBackends, type StatePlace } from "./backends.js";
import { fileMode } from "./helpers.js";

describe("SQLite state file", () => {
  it("creates a private directory and a 0600 database in WAL mode", async ({ stateDir: dir }) => {
    const stateDir = path.join(dir, "nested", "state");
    const store = await openStateStore(stateDir);
    store.secrets.put("pay_1", "ps_secret_1");
    expect(fileMode(stateDir)).toBe(0o700);
    const file = path.join(stateDir, STATE_FILE);
    expect(fileMode(file)).toBe(0o600);
    // With the connection open after a write, WAL mode keeps both side files: each private too.
    for (const suffix of ["-wal", "-shm"]) expect(fileMode(file + suffix)).toBe(0o600);
    store.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("never chmods a state file it did not create", async ({ stateDir: dir }) => {
    const file = path.join(dir, STATE_FILE);
    fs.writeFileSync(file, "");
    fs.chmodSync(file, 0o640);
    const store = await openStateStore(dir);
    expect(fileMode(file)).toBe(0o640);
    store.close();
  });

  it("refuses a database written by a newer version instead of corrupting it", async ({ stateDir: dir }) => {
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

  const pending = (hash: string, overrides: Partial<ConfirmationRecord> = {}) => ({
    hash,
    callId: `call-${hash}`,
    channel: "token",
    tool: "create_withdrawal",
    canonicalArgs: "{}",
    caller: null,
    place: "here",
    sealed: null,
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    idempotencyKey: `key-${hash}`,
    ...overrides,
  });
  const acquire = (callId: string, now: Date, key = "k1") => ({
    callId,
    tool: "create_withdrawal",
    key,
    confirmedBy: "token",
    now,
    leaseMs: 60_000,
    windowMs: 86_400_000,
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
    await first.confirmations.hold(pending("h"));
    await first.close();

    const second = await place.open();
    expect(await second.secrets.get("pay_1")).toBe("ps_secret_1");
    expect(await second.secrets.get("pay_unknown")).toBeUndefined();
    expect((await second.ledger.findByKey("key-1"))?.status).toBe("reserved");
    expect((await second.confirmations.get("h"))?.state).toBe("pending");
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

  it("a confirmation is decided once: approved or declined, never both, never once expired", async () => {
    const store = await place.open();
    const now = new Date();
    await store.confirmations.hold(pending("once"));
    expect(await store.confirmations.decide("unknown", "approved", now)).toBe(false);
    expect(await store.confirmations.decide("once", "approved", now)).toBe(true);
    // A Decline after the Approve changes nothing; nor does a second Approve.
    expect(await store.confirmations.decide("once", "declined", now)).toBe(false);
    expect(await store.confirmations.decide("once", "approved", now)).toBe(false);
    expect((await store.confirmations.get("once"))?.state).toBe("approved");

    await store.confirmations.hold(pending("late", { expiresAt: now.getTime() - 1 }));
    expect(await store.confirmations.decide("late", "declined", now)).toBe(false);
    expect((await store.confirmations.get("late"))?.state).toBe("pending");
    // The newest confirmation of a call is the one an identical repeat finds.
    await store.confirmations.hold(
      pending("newer", { callId: "call-late", createdAt: now.getTime() + 60_000 }),
    );
    expect((await store.confirmations.latest("call-late"))?.hash).toBe("newer");
  });

  it("of two connections deciding the same confirmation at once, exactly one wins it", async () => {
    const [a, b] = [await place.open(), await place.open()];
    const hashes = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    for (const h of hashes) await a.confirmations.hold(pending(h));
    const now = new Date();
    for (const h of hashes) {
      const wins = await Promise.all([
        a.confirmations.decide(h, "approved", now),
        b.confirmations.decide(h, "declined", now),
      ]);
      expect(wins.filter(Boolean), h).toHaveLength(1);
    }
  });

  it("a call is sent by one holder at a time, replayed once done, and resumed with its key after a release", async () => {
    const [a, b] = [await place.open(), await place.open()];
    const now = new Date();
    const got = await Promise.all([
      a.calls.acquire(acquire("c", now, "k1")),
      b.calls.acquire(acquire("c", now, "k2")),
    ]);
    expect(got.filter((g) => g.kind === "acquired")).toHaveLength(1);
    expect(got.filter((g) => g.kind === "busy")).toHaveLength(1);
    const first = got.find((g) => g.kind === "acquired")!;
    // Outcome unknown: the lease ends, the key stays.
    await a.calls.release("c", now);
    expect(await b.calls.acquire(acquire("c", now, "k3"))).toMatchObject({
      kind: "acquired",
      key: first.kind === "acquired" ? first.key : "",
      resumed: true,
    });
    await b.calls.finish("c", "sealed-answer", now);
    expect(await a.calls.acquire(acquire("c", now))).toMatchObject({
      kind: "done",
      record: { result: "sealed-answer" },
    });
    // Past the window, the same call is a new one.
    const later = new Date(now.getTime() + 86_400_001);
    expect(await a.calls.acquire(acquire("c", later, "k9"))).toMatchObject({
      kind: "acquired",
      key: "k9",
      resumed: false,
    });
    // Nothing sent: forgotten.
    await a.calls.drop("c");
    expect(await a.calls.get("c")).toBeUndefined();
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
