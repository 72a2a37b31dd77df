// Issue #5 acceptance: the rolling daily cap holds across two server processes (the built CLI over
// stdio) sharing one state directory and one SpacePay, each making 20 concurrent withdrawals.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { DAY_MS, openStateStore } from "../../src/safety/index.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";
import {
  requireBuiltCli,
  spawnStdioServer,
  textOf,
  withdrawal,
  withdrawalPosts,
  type StdioServer,
  type ToolResult,
} from "./helpers.js";

const CAP_CENTS = 150_000; // $1,500
const AMOUNT_CENTS = 10_000; // $100
const ATTEMPTS_PER_PROCESS = 20;

let sim: SimulatorHandle;
let stateDir: string;
let servers: StdioServer[] = [];

beforeAll(() => requireBuiltCli());
beforeEach(async () => {
  sim = await startSimulator({ processingMs: 20 });
  stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-e2e-cap-"));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  await sim.close();
  rmSync(stateDir, { recursive: true, force: true });
});

it("two processes, 20 concurrent $100 withdrawals each, $1,500 cap: exactly 15 go through", async () => {
  const env = {
    SPACEPAY_API_URL: sim.url,
    SPACEPAY_SECRET_KEY: "sk_test_simulator",
    SPACEPAY_STATE_DIR: stateDir,
    SPACEPAY_CONFIRM: "off",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: String(CAP_CENTS),
    SPACEPAY_TIMEOUT_MS: "10000",
    SPACEPAY_LOG_LEVEL: "warn",
  };
  servers = await Promise.all([spawnStdioServer(env), spawnStdioServer(env)]);
  // Both really are separate processes on the same state.
  for (const s of servers) {
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("create_withdrawal");
  }

  const results = await Promise.all(
    servers.flatMap((s, p) =>
      Array.from(
        { length: ATTEMPTS_PER_PROCESS },
        (_, i) =>
          s.client.callTool(
            {
              name: "create_withdrawal",
              // Distinct orders: 40 different withdrawals, not retries of one.
              arguments: withdrawal({ amountInCents: AMOUNT_CENTS, orderId: `cap-${p}-${i}` }),
            },
            undefined,
            { timeout: 45_000 },
          ) as Promise<ToolResult>,
      ),
    ),
  );

  const done = results.filter((r) => !r.isError);
  const refused = results.filter((r) => r.isError);
  const unexpected = refused.filter(
    (r) => !textOf(r).includes("SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS=150000"),
  );
  expect(unexpected.map(textOf), servers.map((s) => s.stderr()).join("\n")).toEqual([]);
  expect(done).toHaveLength(CAP_CENTS / AMOUNT_CENTS);
  expect(refused).toHaveLength(2 * ATTEMPTS_PER_PROCESS - CAP_CENTS / AMOUNT_CENTS);
  for (const r of done) expect(r.structuredContent.status).toBe("done");
  // What SpacePay holds: never above the cap, and each refusal never reached it.
  expect(sim.control.counts().withdrawals).toBe(CAP_CENTS / AMOUNT_CENTS);
  expect(withdrawalPosts(sim)).toHaveLength(CAP_CENTS / AMOUNT_CENTS);
  const total = done.reduce((sum, r) => sum + (r.structuredContent.withdrawal.amountInCents as number), 0);
  expect(total).toBe(CAP_CENTS);

  // The shared ledger agrees: every counted cent is one SpacePay holds.
  const store = await openStateStore(stateDir);
  try {
    expect(store.ledger.usedCents(new Date(), DAY_MS)).toBe(CAP_CENTS);
  } finally {
    store.close();
  }
}, 60_000);
