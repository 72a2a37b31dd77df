// `spacepay-mcp audit verify` against the app's own trail, on both backends: each ledger entry names
// its audit intent, so a trail cut short by TRUNCATE or DELETE fails and names the withdrawals whose
// entries are gone, even when what is left still chains; a head anchored elsewhere catches a rewrite
// that keeps the chain and the ledger whole. The verify runs with only what it reads: no merchant key,
// no state key.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAudit } from "../../src/cli/audit.js";
import {
  AUDIT_FILE,
  chainHash,
  createGuard,
  splitLines,
  type AuditEntry,
  type LedgerEntry,
  type StateStore,
} from "../../src/safety/index.js";
import { serializeAuditEntry } from "../../src/safety/audit.js";
import { PG_START_TIMEOUT_MS, stateBackends, type StatePlace } from "./backends.js";
import { RECIPIENT, fakeApi, paymentSummary, policy, withdrawalArgs, withdrawalSummary } from "./helpers.js";

/** Runs the command as an auditor would: the place's own location and nothing else in the environment. */
async function verify(place: StatePlace, ...args: string[]) {
  const flags: Record<string, string> = place.stateDir ? { "state-dir": place.stateDir } : {};
  for (let i = 0; i < args.length; i += 2) flags[args[i]!.slice(2)] = args[i + 1]!;
  const env = place.databaseUrl ? { SPACEPAY_DATABASE_URL: place.databaseUrl } : {};
  const out: string[] = [];
  const code = await runAudit("verify", flags, env, (l) => out.push(l));
  const text = out.join("\n");
  return { code, text, head: /^head (\S+)/m.exec(text)?.[1] ?? "" };
}

/** The trail as stored, in order. */
async function trail(place: StatePlace): Promise<string[]> {
  if (place.stateDir) return splitLines(fs.readFileSync(auditFile(place))).map((b) => b.toString("utf8"));
  return (await sql(place, "SELECT entry FROM audit_log ORDER BY id")).map((r) => r.entry as string);
}

const auditFile = (place: StatePlace) => path.join(place.stateDir!, AUDIT_FILE);

/** As the database's owner (the test cluster's superuser), past the append-only triggers. */
async function sql(
  place: StatePlace,
  text: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: place.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Keeps the trail's first `n` entries: what TRUNCATE, or DELETE of the end, leaves. */
async function cutTo(place: StatePlace, n: number): Promise<void> {
  if (place.stateDir) {
    const kept = (await trail(place)).slice(0, n);
    fs.writeFileSync(auditFile(place), kept.map((l) => l + "\n").join(""));
  } else if (n === 0) {
    await sql(place, "ALTER TABLE audit_log DISABLE TRIGGER USER; TRUNCATE audit_log");
  } else {
    await sql(place, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    await sql(place, "DELETE FROM audit_log WHERE seq > $1", [n]);
  }
}

/** Appends a forged entry, chained properly to what is there now. */
async function forge(place: StatePlace, entry: AuditEntry): Promise<void> {
  const lines = await trail(place);
  const line = serializeAuditEntry(entry, lines.length ? Buffer.from(lines.at(-1)!) : null);
  if (place.stateDir) fs.appendFileSync(auditFile(place), line + "\n");
  else await sql(place, "INSERT INTO audit_log (seq, entry) VALUES ($1, $2)", [lines.length + 1, line]);
}

describe.each(stateBackends())("audit verify on $name", (backend) => {
  let place: StatePlace;
  let store: StateStore;
  let ledger: LedgerEntry[];
  beforeEach(async () => {
    place = await backend.fresh();
    store = await place.open();
    const guard = createGuard({
      policy: policy({ confirm: "off", withdrawalAllowlist: [{ address: RECIPIENT }] }),
      mode: "test",
      store,
      merchantKeyFingerprint: "merchant-fp",
    });
    const api = fakeApi();
    for (const amountInCents of [1_100, 1_200, 1_300]) {
      const args = withdrawalArgs({ amountInCents, orderId: `order-${amountInCents}` });
      const r = await guard.run({
        tool: "create_withdrawal",
        args,
        summary: withdrawalSummary(args),
        signal: new AbortController().signal,
        execute: api.execute,
      });
      expect(r.isError, r.text).toBeFalsy();
    }
    // Last, a payment: it has no ledger entry, so only an anchored head vouches for its entries.
    const payArgs = { amountInCents: 900, currency: "USD", orderId: "pay-1" };
    const paid = await guard.run({
      tool: "create_payment",
      args: payArgs,
      summary: paymentSummary(payArgs, "create_payment"),
      signal: new AbortController().signal,
      execute: fakeApi("pay").execute,
    });
    expect(paid.isError, paid.text).toBeFalsy();
    ledger = [];
    for (const key of api.keys) ledger.push((await store.ledger.findByKey(key))!);
  }, PG_START_TIMEOUT_MS);
  afterEach(() => place.cleanup());

  it("each ledger entry names its intent: the entry at that position, with that hash", async () => {
    const lines = await trail(place);
    expect(lines).toHaveLength(8);
    for (const e of ledger) {
      expect(e.status).toBe("done");
      const at = lines[e.intent!.seq - 1]!;
      expect(chainHash(at)).toBe(e.intent!.hash);
      expect(JSON.parse(at)).toMatchObject({ event: "intent", idempotencyKey: e.idempotencyKey });
    }
  });

  it("an intact trail passes with no merchant or state key, and prints its head SEQ:HASH", async () => {
    const r = await verify(place);
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain("audit chain intact: 8 entries");
    expect(r.text).toContain("withdrawal ledger: 3 entries, each one's audit entries present");
    expect(r.head).toBe(`8:${chainHash((await trail(place)).at(-1)!)}`);
    // An earlier head stays a prefix as the trail grows.
    expect((await verify(place, "--expect-head", r.head)).code).toBe(0);
  });

  it("TRUNCATE fails, naming every withdrawal whose audit entries are gone", async () => {
    await cutTo(place, 0);
    const r = await verify(place);
    expect(r.code).toBe(1);
    expect(r.text).toContain("MISSING from the trail (6, of 3 ledger entries checked)");
    for (const e of ledger) {
      expect(r.text).toContain(
        `ledger entry ${e.id} (done, ${e.amountCents} cents, idempotency key ${e.idempotencyKey}, withdrawal ${e.withdrawalId}): its intent, entry ${e.intent!.seq}, is missing: the trail ends at entry 0`,
      );
    }
  });

  it("DELETE of the trail's end fails although what is left still chains", async () => {
    // Drops the last withdrawal's intent and outcome, and the payment after them.
    const last = ledger.at(-1)!;
    await cutTo(place, last.intent!.seq - 1);
    const r = await verify(place);
    expect(r.code).toBe(1);
    expect(r.text).toContain(`audit chain intact: ${last.intent!.seq - 1} entries`);
    expect(r.text).toMatch(
      new RegExp(`ledger entry ${last.id} .*its intent, entry ${last.intent!.seq}, is missing`),
    );
    expect(r.text).toMatch(new RegExp(`ledger entry ${last.id} .*its outcome is missing`));
    expect(r.text).not.toContain(`ledger entry ${ledger[0]!.id}`);
  });

  it("--expect-head catches a rewrite that keeps the chain and the ledger whole", async () => {
    const anchored = (await verify(place)).head;
    const lines = await trail(place);
    const outcome = JSON.parse(lines.at(-1)!) as AuditEntry;
    // The payment's outcome replaced by one naming another payment, properly chained.
    await cutTo(place, lines.length - 1);
    const { prev: _prev, ...rest } = outcome;
    await forge(place, { ...rest, ids: { paymentId: "pay_forged" } });

    const unanchored = await verify(place);
    expect(unanchored.code, unanchored.text).toBe(0);
    expect(unanchored.head).not.toBe(anchored);
    const r = await verify(place, "--expect-head", anchored);
    expect(r.code).toBe(1);
    expect(r.text).toContain(
      `expected head ${anchored} NOT a prefix of the trail: entry 8 no longer has the expected head's hash`,
    );
    // A head the trail never reached: it was cut after the anchor.
    const ahead = await verify(place, "--expect-head", `9:${"0".repeat(64)}`);
    expect(ahead.text).toContain(
      "the trail has 8 entries, fewer than the expected head's 9: it was truncated",
    );
  });

  it("refuses a malformed --expect-head or an unknown flag (exit 2)", async () => {
    expect((await verify(place, "--expect-head", "8")).code).toBe(2);
    expect((await verify(place, "--expect-heads", "8:x")).code).toBe(2);
  });
});
