// Issue #11 item 3, at startup: a withdrawal the ledger left "sent" without an outcome (the process
// was killed while SpacePay answered) is settled by asking SpacePay, and an outcome line with
// `reconciled: true` is appended. One SpacePay never processed stays counted against the cap.
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import {
  RECIPIENT,
  type Harness,
  BASE_SEPOLIA,
  WITHDRAWALS_PATH,
  textOf,
  type ToolResult,
} from "../helpers/mcp-harness.js";
import { readAudit, spawnOnState, waitFor, useSimulatorForSpawned } from "../reliability/helpers.js";
import { startListedHarness } from "./helpers.js";

const run = useSimulatorForSpawned();
const spawned = run.spawned;
let stateDir: string;
const opened: Harness[] = [];

it.beforeEach(({ stateDir: dir }) => {
  stateDir = dir;
});
afterEach(async () => {
  for (const h of opened.splice(0)) await h.close();
});

// Short timeouts for the restarted server: an entry older than one call can take is not in flight.
const FAST = { SPACEPAY_TIMEOUT_MS: "1000", SPACEPAY_MAX_RETRIES: "0" };

const audit = () => readAudit(stateDir);
/** The audit events written for idempotency key `key`, oldest first. */
const eventsFor = (key: string) =>
  audit()
    .filter((e) => e.idempotencyKey === key)
    .map((e) => e.event);

function ledger(): Array<{
  status: string;
  withdrawal_id: string | null;
  idempotency_key: string;
  updated_at: number;
}> {
  const db = new Database(path.join(stateDir, "state.sqlite"), { readonly: true });
  try {
    return db
      .prepare("SELECT status, withdrawal_id, idempotency_key, updated_at FROM withdrawal_ledger")
      .all() as never;
  } finally {
    db.close();
  }
}

/** Spawns the built server, starts a withdrawal that never gets its answer, and SIGKILLs it mid-call. */
async function crashMidWithdrawal(fault: "hang-after" | "hang", amountInCents: number): Promise<string> {
  const a = await spawnOnState(run.sim, stateDir, { SPACEPAY_CONFIRM: "off", SPACEPAY_TIMEOUT_MS: "10000" });
  spawned.push(a);
  run.sim.control.addFault({ kind: fault, method: "POST", path: WITHDRAWALS_PATH, count: 1 });
  const posts = run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).length;
  void a
    .call("create_withdrawal", { amountInCents, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT })
    .catch(() => {});
  await waitFor(
    () => run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).length > posts,
    10_000,
    "the withdrawal POST",
  );
  await a.kill();
  const key = run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).at(-1)!.headers[
    "idempotency-key"
  ]!;
  expect(ledger().find((e) => e.idempotency_key === key)?.status).toBe("sent");
  expect(eventsFor(key)).toEqual(["intent"]);
  run.sim.control.clearFaults();
  return key;
}

async function restart(env: Record<string, string> = {}): Promise<Harness> {
  // The restarted server settles only an entry older than its in-flight bound (1000 ms × 1 attempt).
  const lastSent = Math.max(...ledger().map((e) => Number(e.updated_at)));
  await waitFor(() => Date.now() > lastSent + 1_000, 5_000, "the crashed call's in-flight bound to pass");
  const h = await startListedHarness({ sharedSim: run.sim, stateDir, env: { ...FAST, ...env } });
  opened.push(h);
  return h;
}

it("a withdrawal SpacePay processed before the crash is settled at restart: reconciled outcome line, ledger done", async () => {
  const before = run.sim.control.counts().withdrawals;
  const key = await crashMidWithdrawal("hang-after", 1_234);
  expect(run.sim.control.counts().withdrawals).toBe(before + 1);
  const upstream = run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).at(-1)!;

  const h = await restart();
  // Opening the durable state (here: the audit resource) runs the reconciliation.
  await h.client.readResource({ uri: "spacepay://audit/recent" });
  await waitFor(
    () => audit().some((e) => e.idempotencyKey === key && e.reconciled),
    10_000,
    "the reconciled line",
  );

  const line = audit().find((e) => e.idempotencyKey === key && e.reconciled)!;
  expect(line).toMatchObject({
    event: "outcome",
    outcome: "done",
    reconciled: true,
    tool: "create_withdrawal",
  });
  const withdrawalId = line.ids!.withdrawalId!;
  expect(run.sim.control.getWithdrawal(withdrawalId)?.amountInCents).toBe(1_234);
  expect(upstream.headers["idempotency-key"]).toBe(key);
  expect(ledger().find((e) => e.idempotency_key === key)).toMatchObject({
    status: "done",
    withdrawal_id: withdrawalId,
  });
});

it("a withdrawal SpacePay never processed stays counted against the cap, with nothing appended", async () => {
  const key = await crashMidWithdrawal("hang", 4_000);
  // The cap leaves room for the crashed 4000 plus 500 more.
  const h = await restart({ SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "4500" });
  await h.client.readResource({ uri: "spacepay://audit/recent" });
  // A withdrawal that fits the remaining 500 goes through; one more cent over it does not.
  const ok: ToolResult = await h.call("create_withdrawal", {
    amountInCents: 500,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
  });
  expect(ok.isError, textOf(ok)).toBeFalsy();
  const over: ToolResult = await h.call("create_withdrawal", {
    amountInCents: 100,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
  });
  expect(over.isError).toBe(true);
  expect(textOf(over)).toMatch(/SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS/);
  expect(ledger().find((e) => e.idempotency_key === key)?.status).toBe("sent");
  expect(eventsFor(key)).toEqual(["intent"]);
});
