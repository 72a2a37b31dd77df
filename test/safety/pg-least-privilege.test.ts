// The PostgreSQL trail's schema and least privilege, as README "Deployment" describes it: the owner migrates
// (`spacepay-mcp db migrate --app-role`), the server runs as a role with INSERT and SELECT on
// audit_log, which can neither TRUNCATE the trail nor disable or replace its triggers; the server
// warns when its role could, and a role that may not migrate is told to run `db migrate`.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import { runAudit } from "../../src/cli/audit.js";
import { runDb } from "../../src/cli/db.js";
import { createGuard, openState, type AuditEntry, type StateStore } from "../../src/safety/index.js";
import { appRoleGrants } from "../../src/safety/store-pg-schema.js";
import type { TestPostgres } from "../helpers/postgres.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { PG_START_TIMEOUT_MS, TEST_STATE_KEY } from "./backends.js";
import { RECIPIENT, fakeApi, policy, withdrawalArgs, withdrawalSummary } from "./helpers.js";

const README = path.resolve(import.meta.dirname, "../../README.md");
const WARNING = /the database role this server runs as can (.*): the audit trail is append-only/;

let postgres: TestPostgres;
let n = 0;
let superUrl: string;
let ownerUrl: string;
let appUrl: string;
let app: string;
const stores: StateStore[] = [];

beforeAll(async () => {
  postgres = await sharedPostgres();
}, PG_START_TIMEOUT_MS);
afterAll(() => postgres?.stop(), PG_START_TIMEOUT_MS);

/** A fresh database owned by a fresh owner role, and a fresh login role with nothing granted yet. */
beforeEach(async () => {
  superUrl = await postgres.freshDatabase();
  const url = new URL(superUrl);
  const owner = `owner_${process.pid}_${++n}`;
  app = `app_${process.pid}_${n}`;
  await sql(superUrl, [
    `CREATE ROLE ${owner} LOGIN PASSWORD 'owner-pw'`,
    `CREATE ROLE ${app} LOGIN PASSWORD 'app-pw'`,
    `ALTER DATABASE ${url.pathname.slice(1)} OWNER TO ${owner}`,
  ]);
  const as = (user: string, password: string) =>
    Object.assign(new URL(superUrl), { username: user, password }).toString();
  ownerUrl = as(owner, "owner-pw");
  appUrl = as(app, "app-pw");
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  vi.restoreAllMocks();
});

async function sql(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}

/** Opens the state as the URL's role, returning what it warned on stderr. */
async function open(url: string): Promise<{ store: StateStore; warnings: string[] }> {
  const warnings: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void warnings.push(line));
  try {
    const store = await openState({ stateDir: "/nonexistent", databaseUrl: url, stateKey: TEST_STATE_KEY });
    stores.push(store);
    return { store, warnings: warnings.filter((w) => WARNING.test(w)) };
  } finally {
    spy.mockRestore();
  }
}

async function migrate(env: Record<string, string>, ...args: string[]) {
  const out: string[] = [];
  const flags = args.length ? { [args[0]!.slice(2)]: args[1]! } : {};
  const code = await runDb("migrate", flags, env, (l) => out.push(l));
  return { code, text: out.join("\n") };
}

it("a role that may not migrate is told to run `spacepay-mcp db migrate` with the owner's URL", async () => {
  await expect(open(appUrl)).rejects.toThrow(
    /is at schema version 0 and this server needs \d+, but its role may not change the schema: run `spacepay-mcp db migrate` with the owner's URL/,
  );
});

it("migrated by the owner, the server runs as the app role without a warning, and that role cannot touch the trail", async () => {
  const migrated = await migrate({ SPACEPAY_DATABASE_URL: ownerUrl }, "--app-role", app);
  expect(migrated.code, migrated.text).toBe(0);
  expect(migrated.text).toMatch(/is at schema version \d+\ngranted app_/);

  const { store, warnings } = await open(appUrl);
  expect(warnings).toEqual([]);
  const guard = createGuard({
    policy: policy({ confirm: "off", withdrawalAllowlist: [{ address: RECIPIENT }] }),
    mode: "test",
    store,
    merchantKeyFingerprint: "merchant-fp",
  });
  const args = withdrawalArgs({ amountInCents: 1_500 });
  const done = await guard.run({
    tool: "create_withdrawal",
    args,
    summary: withdrawalSummary(args),
    signal: new AbortController().signal,
    execute: fakeApi().execute,
  });
  expect(done.isError, done.text).toBeFalsy();

  for (const [statement, refusal] of [
    ["TRUNCATE audit_log", /permission denied/],
    ["DELETE FROM audit_log", /permission denied/],
    ["UPDATE audit_log SET entry = ''", /permission denied/],
    ["ALTER TABLE audit_log DISABLE TRIGGER USER", /must be owner/],
    ["DROP TABLE audit_log", /must be owner/],
    [
      "CREATE OR REPLACE FUNCTION spacepay_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
      // Not its function, and no CREATE in the schema either.
      /must be owner|permission denied/,
    ],
  ] as const) {
    await expect(sql(appUrl, [statement]), statement).rejects.toThrow(refusal);
  }
  // The auditor needs only the URL (here the app role's: reading is all it does).
  const out: string[] = [];
  expect(await runAudit("verify", {}, { SPACEPAY_DATABASE_URL: appUrl }, (l) => out.push(l))).toBe(0);
  expect(out.join("\n")).toContain("withdrawal ledger: 1 entries, each one's audit entries present");
});

it("the server warns when its role could TRUNCATE or alter the trail; the owner's TRUNCATE meets the trigger", async () => {
  expect((await migrate({ SPACEPAY_DATABASE_URL: ownerUrl })).code).toBe(0);
  const { warnings } = await open(ownerUrl);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain("alter audit_log as its owner (DISABLE TRIGGER, DROP)");
  expect(warnings[0]).toContain("TRUNCATE audit_log");
  expect(warnings[0]).toContain("spacepay-mcp db migrate");
  // Not by accident, then: TRUNCATE is refused like UPDATE and DELETE until the owner disables it.
  await expect(sql(ownerUrl, ["TRUNCATE audit_log"])).rejects.toThrow(/append-only/);
  // And `db migrate --app-role` says so when the role it is given is no least-privilege role.
  const again = await migrate({ SPACEPAY_DATABASE_URL: ownerUrl }, "--app-role", new URL(ownerUrl).username);
  expect(again.code).toBe(1);
  expect(again.text).toMatch(/can still .*TRUNCATE audit_log.*: it is not a least-privilege role/);
});

it("an older database is migrated: its entries are numbered in order and the next append continues", async () => {
  const { store } = await open(superUrl);
  for (let i = 0; i < 3; i++) await store.audit.append(auditEntry(i));
  await store.close();
  // Back to schema version 2 (before audit marks, and the confirmations that came after), as an older
  // release left it.
  await sql(superUrl, [
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "UPDATE audit_log SET seq = seq + 100",
    "ALTER TABLE audit_log DROP COLUMN seq",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "ALTER TABLE audit_log ENABLE TRIGGER USER",
    "ALTER TABLE withdrawal_ledger DROP COLUMN audit_seq, DROP COLUMN audit_hash",
    "DROP TABLE confirmations, guarded_calls, order_index, order_index_sync, webhook_events",
    "DELETE FROM spacepay_schema_version WHERE version > 2",
  ]);
  const reopened = (await open(superUrl)).store;
  expect(await reopened.audit.append(auditEntry(3))).toMatchObject({ seq: 4 });
  const client = new pg.Client({ connectionString: superUrl });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT seq FROM audit_log ORDER BY id");
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4]);
  } finally {
    await client.end();
  }
  const out: string[] = [];
  expect(await runAudit("verify", {}, { SPACEPAY_DATABASE_URL: superUrl }, (l) => out.push(l))).toBe(0);
});

const auditEntry = (i: number): AuditEntry => ({
  time: new Date(1_700_000_000_000 + i).toISOString(),
  event: "outcome",
  tool: "create_payment",
  args: { orderId: `order-${i}` },
  confirmation: null,
  idempotencyKey: `key-${i}`,
  outcome: "done",
});

it("db migrate needs a database URL and nothing else; the README shows exactly the GRANTs it runs", async () => {
  expect((await migrate({})).text).toMatch(/SPACEPAY_DATABASE_URL is not set/);
  const readme = fs.readFileSync(README, "utf8");
  for (const grant of appRoleGrants("spacepay_app")) expect(readme).toContain(grant);
});
