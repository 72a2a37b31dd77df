// Issue #11 item 6: a graceful stop mid-withdrawal. The built server is spawned over stdio and told to
// stop (stdin closed, or SIGTERM) while SpacePay is still processing a withdrawal: it waits for the
// call, records the outcome, settles the ledger, closes its state and exits 0.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { AuditEntry } from "../../src/safety/audit.js";
import { DEFAULT_SECRET_KEY, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";
import {
  BASE_SEPOLIA,
  WITHDRAWALS_PATH,
  spawnServer,
  textOf,
  waitFor,
  type SpawnedServer,
} from "./helpers.js";

let sim: SimulatorHandle;
let stateDir: string;
const spawned: SpawnedServer[] = [];

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 20 });
});
beforeEach(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-reliability-stop-"));
});
afterEach(async () => {
  for (const s of spawned.splice(0)) await s.kill();
  sim.control.clearFaults();
  rmSync(stateDir, { recursive: true, force: true });
});
afterAll(() => sim?.close());

function audit(): AuditEntry[] {
  return readFileSync(path.join(stateDir, "audit.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}

function ledgerStatus(key: string): string | undefined {
  const db = new Database(path.join(stateDir, "state.sqlite"), { readonly: true });
  try {
    const row = db.prepare("SELECT status FROM withdrawal_ledger WHERE idempotency_key = ?").get(key) as
      { status: string } | undefined;
    return row?.status;
  } finally {
    db.close();
  }
}

async function stopMidWithdrawal(how: (s: SpawnedServer) => void): Promise<void> {
  const s = await spawnServer({
    SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
    SPACEPAY_API_URL: sim.url,
    SPACEPAY_STATE_DIR: stateDir,
    SPACEPAY_CONFIRM: "off",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_TIMEOUT_MS: "10000",
  });
  spawned.push(s);
  const exited = new Promise<number | null>((resolve) => s.child.once("exit", (code) => resolve(code)));
  // SpacePay takes 1.5 s to process this withdrawal.
  sim.control.addFault({
    kind: "latency",
    latencyMs: 1_500,
    method: "POST",
    path: WITHDRAWALS_PATH,
    count: 1,
  });
  const before = sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).length;
  const answer = s
    .call("create_withdrawal", { amountInCents: 2_000, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT })
    .catch((err: Error) => err);
  await waitFor(
    () => sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).length > before,
    10_000,
    "the withdrawal POST to reach SpacePay",
  );
  const key = sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).at(-1)!.headers[
    "idempotency-key"
  ]!;
  expect(sim.control.counts().withdrawals).toBe(before); // still being processed
  how(s);

  expect(await exited).toBe(0);
  // The withdrawal happened, and the server recorded it before exiting.
  const trail = audit().filter((e) => e.idempotencyKey === key);
  expect(trail.map((e) => [e.event, e.outcome ?? null])).toEqual([
    ["intent", null],
    ["outcome", "done"],
  ]);
  const withdrawalId = trail[1]!.ids!.withdrawalId!;
  expect(sim.control.getWithdrawal(withdrawalId)?.amountInCents).toBe(2_000);
  expect(ledgerStatus(key)).toBe("done");
  expect(s.stderr()).toMatch(/waited for 1 money-moving call/);
  // The agent still got its answer.
  const result = await answer;
  expect(result).not.toBeInstanceOf(Error);
  expect(textOf(result as Exclude<typeof result, Error>)).toContain(withdrawalId);
}

it("stdin closed mid-withdrawal: the outcome is recorded, the ledger settled, exit 0", async () => {
  await stopMidWithdrawal((s) => s.child.stdin.end());
}, 20_000);

it("SIGTERM mid-withdrawal: the outcome is recorded, the ledger settled, exit 0", async () => {
  await stopMidWithdrawal((s) => s.child.kill("SIGTERM"));
}, 20_000);
