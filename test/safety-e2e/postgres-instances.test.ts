// Two server instances (the built CLI over stdio, each with its own state directory) on one
// PostgreSQL (SPACEPAY_DATABASE_URL) and one SpacePay: a confirmation issued by one is redeemed by
// the other exactly once, the rolling cap holds across both, one audit trail, a withdrawal whose
// instance was killed mid-call is finished by the other without paying twice, and a database that
// is down refuses money calls while read tools keep working.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { verifyChain } from "../../src/safety/audit-chain.js";
import { DEFAULT_SECRET_KEY } from "../../src/simulator/index.js";
import {
  RECIPIENT,
  BASE_SEPOLIA,
  WITHDRAWALS_PATH,
  textOf,
  type ToolResult,
} from "../helpers/mcp-harness.js";
import { freePort } from "../helpers/postgres.js";
import { spawnServer, waitFor, type SpawnedServer } from "../reliability/helpers.js";
import { CLI } from "../helpers/built-cli.js";
import { usePostgresAndSimulator } from "./helpers.js";

// Every instance on one database needs the same state key (hex, 32 bytes).
const STATE_KEY = randomBytes(32).toString("hex");
const run = usePostgresAndSimulator();
let databaseUrl: string;
const spawned: SpawnedServer[] = [];

/** A new state directory for each instance, removed after the test. */
let newStateDir: () => string;
it.beforeEach(async ({ tempDir }) => {
  databaseUrl = await run.postgres.freshDatabase();
  newStateDir = tempDir;
});
afterEach(async () => {
  await Promise.all(spawned.splice(0).map((s) => s.close()));
  run.sim.control.clearFaults();
});

async function instance(extra: Record<string, string> = {}): Promise<SpawnedServer> {
  const s = await spawnServer({
    SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
    SPACEPAY_API_URL: run.sim.url,
    SPACEPAY_STATE_DIR: newStateDir(),
    SPACEPAY_DATABASE_URL: databaseUrl,
    SPACEPAY_STATE_KEY: STATE_KEY,
    SPACEPAY_CONFIRM: "token",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_TIMEOUT_MS: "10000",
    SPACEPAY_LOG_LEVEL: "warn",
    ...extra,
  });
  spawned.push(s);
  return s;
}

let seq = 0;
function withdrawal(amountInCents: number): Record<string, unknown> {
  return { amountInCents, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT, orderId: `pg-${++seq}` };
}

function withdraw(s: SpawnedServer, args: Record<string, unknown>): Promise<ToolResult> {
  return s.client.callTool({ name: "create_withdrawal", arguments: args }, undefined, {
    timeout: 45_000,
  }) as Promise<ToolResult>;
}

/** Asks for a confirmation on `s` and returns the arguments with the token, as the agent would send them. */
async function confirmed(s: SpawnedServer, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ask = await withdraw(s, args);
  expect(ask.structuredContent?.status, textOf(ask)).toBe("confirmation_required");
  return { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
}

const posts = () => run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH });

it("a confirmation issued by one instance is redeemed by the other exactly once", async () => {
  const [a, b] = await Promise.all([instance(), instance()]);
  const before = run.sim.control.counts().withdrawals;
  const args = await confirmed(a, withdrawal(2_000));

  const done = await withdraw(b, args);
  expect(done.isError, textOf(done)).toBeFalsy();
  expect(done.structuredContent.status).toBe("done");
  // Either instance replays the done call for the same token; nothing is sent again.
  for (const s of [a, b]) {
    const again = await withdraw(s, args);
    expect(again.structuredContent, textOf(again)).toMatchObject({ status: "done", replayed: true });
  }
  expect(run.sim.control.counts().withdrawals).toBe(before + 1);
}, 60_000);

it("2 × 10 concurrent confirmed withdrawals on two instances never exceed the rolling cap", async () => {
  const cap = 7 * 1_000;
  const env = { SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: String(cap) };
  const [a, b] = await Promise.all([instance(env), instance(env)]);
  const before = run.sim.control.counts().withdrawals;
  // Confirmed first (nothing is counted yet, so every one gets a token), then sent all at once.
  const ready = await Promise.all(
    Array.from({ length: 20 }, (_, i) => confirmed(i % 2 ? a : b, withdrawal(1_000))),
  );
  const results = await Promise.all(ready.map((args, i) => withdraw(i % 2 ? b : a, args)));

  const done = results.filter((r) => !r.isError);
  const refused = results.filter((r) => r.isError);
  expect(done).toHaveLength(7);
  for (const r of refused) expect(textOf(r)).toContain(`SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS=${cap}`);
  expect(run.sim.control.counts().withdrawals - before).toBe(7);
}, 90_000);

it("one audit trail: each instance's spacepay://audit/recent shows both instances' entries", async () => {
  const [a, b] = await Promise.all([instance(), instance()]);
  const fromA = await confirmed(a, withdrawal(1_100));
  const fromB = await confirmed(b, withdrawal(1_200));
  await withdraw(a, fromB);
  await withdraw(b, fromA);

  for (const s of [a, b]) {
    const read = await s.client.readResource({ uri: "spacepay://audit/recent" });
    const text = (read.contents[0] as { text: string }).text;
    const entries = JSON.parse(text) as Array<{ event: string; outcome?: string; args: any }>;
    const amounts = (outcome: string) =>
      entries.filter((e) => e.outcome === outcome).map((e) => e.args.summary.amountInCents);
    expect(amounts("confirmation_required").sort()).toEqual([1_100, 1_200]);
    expect(amounts("done").sort()).toEqual([1_100, 1_200]);
    // The trail never holds a token itself.
    expect(text).not.toContain(fromA.confirmationToken as string);
  }
  // Both instances' appends form one hash chain, in id order.
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ entry: string }>("SELECT entry FROM audit_log ORDER BY id");
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(verifyChain(rows.map((r) => r.entry))).toMatchObject({ ok: true, count: rows.length });

    // `spacepay-mcp audit verify` checks the table; an edited row (past the append-only trigger,
    // as only a database owner could) is named by its position (seq).
    const verify = () => {
      const r = spawnSync(process.execPath, [CLI, "audit", "verify"], {
        // Only what it reads: an auditor holds neither the merchant key nor the state key.
        env: { PATH: process.env.PATH ?? "", SPACEPAY_DATABASE_URL: databaseUrl },
        encoding: "utf8",
        timeout: 20_000,
      });
      return { code: r.status, text: r.stdout + r.stderr };
    };
    expect(verify()).toMatchObject({
      code: 0,
      text: expect.stringContaining(`intact: ${rows.length} entries`),
    });
    await expect(db.query("UPDATE audit_log SET entry = entry WHERE id = 2")).rejects.toThrow(/append-only/);
    await db.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
    await db.query("UPDATE audit_log SET entry = entry || ' ' WHERE id = 2");
    const broken = verify();
    expect(broken.code).toBe(1);
    expect(broken.text).toMatch(/audit chain BROKEN at row 3 of the PostgreSQL database/);
  } finally {
    await db.end();
  }
}, 60_000);

it("an instance killed mid-withdrawal: retrying on the other sends one withdrawal", async () => {
  // The killed instance's hold on the call lapses this soon, and the retry on the other resumes it.
  const lease = { SPACEPAY_CALL_LEASE_MS: "2000" };
  const [a, b] = await Promise.all([instance(lease), instance(lease)]);
  const before = run.sim.control.counts().withdrawals;
  const args = await confirmed(a, withdrawal(3_000));
  // SpacePay processes the withdrawal, then the answer stalls: A is killed while it waits.
  run.sim.control.addFault({ kind: "hang-after", method: "POST", path: WITHDRAWALS_PATH, count: 1 });
  const sent = posts().length;
  void withdraw(a, args).catch(() => {});
  await waitFor(() => posts().length > sent, 10_000, "the withdrawal POST from A");
  await a.kill();
  expect(run.sim.control.counts().withdrawals).toBe(before + 1);

  // The user's retry lands on B, with the same confirmation.
  const retried = await withdraw(b, args);
  expect(retried.isError, textOf(retried)).toBeFalsy();
  expect(retried.structuredContent.status).toBe("done");
  expect(run.sim.control.counts().withdrawals).toBe(before + 1);
  const keys = posts()
    .slice(sent)
    .map((r) => r.headers["idempotency-key"]);
  expect(keys).toHaveLength(2);
  expect(new Set(keys).size).toBe(1);
}, 60_000);

it("with the database down, money tools refuse naming it (never its URL) and read tools keep working", async () => {
  const password = "pw-that-must-not-leak";
  databaseUrl = `postgres://spacepay:${password}@127.0.0.1:${await freePort()}/nowhere`;
  const s = await instance();
  const before = posts().length;

  const refused = await withdraw(s, withdrawal(1_000));
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toMatch(/PostgreSQL/);
  expect(textOf(refused)).toMatch(/Nothing was sent/);
  expect(JSON.stringify(refused)).not.toContain(password);
  expect(JSON.stringify(refused)).not.toContain(databaseUrl);
  expect(posts().length).toBe(before);

  const read = await s.call("list_withdrawals", {});
  expect(read.isError, textOf(read)).toBeFalsy();
  expect(s.stderr()).not.toContain(password);
}, 60_000);
