// The guard end to end with two server processes (the built CLI over stdio) sharing one state
// directory and one SpacePay: the rolling daily cap under 2 × 20 concurrent withdrawals, and
// confirmation tokens honoured once whichever process sees them.
import { afterEach, beforeAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { DAY_MS, openStateStore } from "../../src/safety/index.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT, textOf, type ToolResult } from "../helpers/mcp-harness.js";
import { spawnStdioServer, withdrawal, withdrawalPosts, isRunning, type StdioServer } from "./helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

const CAP_CENTS = 150_000; // $1,500
const AMOUNT_CENTS = 10_000; // $100
const ATTEMPTS_PER_PROCESS = 20;

let sim: SimulatorHandle;
let stateDir: string;
let servers: StdioServer[] = [];

beforeAll(() => requireBuild());
it.beforeEach(async ({ stateDir: dir }) => {
  sim = await startSimulator({ processingMs: 20 });
  stateDir = dir;
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const s of servers) expect(isRunning(s.pid), `server process ${s.pid} left running`).toBe(false);
  servers = [];
  await sim.close();
});

function env(extra: Record<string, string>): Record<string, string> {
  return {
    SPACEPAY_API_URL: sim.url,
    SPACEPAY_SECRET_KEY: "sk_test_simulator",
    SPACEPAY_STATE_DIR: stateDir,
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_TIMEOUT_MS: "10000",
    SPACEPAY_LOG_LEVEL: "warn",
    ...extra,
  };
}

async function twoServers(extra: Record<string, string>): Promise<[StdioServer, StdioServer]> {
  const started = await Promise.allSettled([spawnStdioServer(env(extra)), spawnStdioServer(env(extra))]);
  for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
  for (const s of started) if (s.status === "rejected") throw s.reason;
  expect(servers[0]!.pid).not.toBe(servers[1]!.pid);
  return [servers[0]!, servers[1]!];
}

function call(s: StdioServer, args: Record<string, unknown>): Promise<ToolResult> {
  return s.client.callTool({ name: "create_withdrawal", arguments: args }, undefined, {
    timeout: 45_000,
  }) as Promise<ToolResult>;
}

it("two processes, 20 concurrent $100 withdrawals each, $1,500 cap: exactly 15 go through", async () => {
  await twoServers({ SPACEPAY_CONFIRM: "off", SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: String(CAP_CENTS) });
  // Both really are separate processes on the same state.
  for (const s of servers) {
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("create_withdrawal");
  }

  const results = await Promise.all(
    servers.flatMap((s, p) =>
      Array.from({ length: ATTEMPTS_PER_PROCESS }, (_, i) =>
        // Distinct orders: 40 different withdrawals, not retries of one.
        call(s, withdrawal({ amountInCents: AMOUNT_CENTS, orderId: `cap-${p}-${i}` })),
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

it("a token issued by one process is honoured once, by either process, even when both race for it", async () => {
  const [a, b] = await twoServers({ SPACEPAY_CONFIRM: "token" });

  // Issued by A, used by B, then refused by A.
  const args = withdrawal({ amountInCents: 2_000 });
  const ask = await call(a, args);
  expect(ask.structuredContent.status).toBe("confirmation_required");
  const confirmed = { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
  const done = await call(b, confirmed);
  expect(done.isError, textOf(done)).toBeFalsy();
  expect(done.structuredContent.status).toBe("done");
  const again = await call(a, confirmed);
  expect(again.structuredContent, textOf(again)).toMatchObject({ status: "done", replayed: true });
  expect(sim.control.counts().withdrawals).toBe(1);

  // Both processes present the same fresh token at once: one withdrawal upstream, and every racer is
  // told the real outcome (done; replayed for all but the sender), never a 409.
  const raceArgs = withdrawal({ amountInCents: 2_100 });
  const raceAsk = await call(b, raceArgs);
  const raced = { ...raceArgs, confirmationToken: raceAsk.structuredContent.confirmationToken as string };
  const results = await Promise.all([call(a, raced), call(b, raced), call(a, raced), call(b, raced)]);
  for (const r of results) expect(r.structuredContent?.status, textOf(r)).toBe("done");
  expect(results.filter((r) => !r.structuredContent.replayed)).toHaveLength(1);
  expect(new Set(results.map((r) => r.structuredContent.withdrawal.id)).size).toBe(1);
  expect(sim.control.counts().withdrawals).toBe(2);
  const posts = withdrawalPosts(sim).filter(
    (r) => (r.body as { orderId?: string }).orderId === raceArgs.orderId,
  );
  expect(posts).toHaveLength(1);
  // And a later repeat, on either, replays it.
  for (const s of [a, b]) expect((await call(s, raced)).structuredContent).toMatchObject({ replayed: true });
  expect(sim.control.counts().withdrawals).toBe(2);
}, 60_000);
