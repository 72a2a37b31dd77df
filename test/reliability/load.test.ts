// Reliability: 200 concurrent tool calls against the simulator with about 10 % of requests faulted
// (503, connection reset, truncated JSON): every call is answered, nothing crashes or rejects,
// no create is duplicated, and memory stays bounded across waves.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, RECIPIENT, type Harness } from "../helpers/mcp-harness.js";
import { BASE_SEPOLIA, textOf, type ToolResult, uniqueOrder, recordUnhandledRejections } from "./helpers.js";

const CALLS = 200;
const WAVES = 3;
const RSS_GROWTH_LIMIT = 150 * 1024 * 1024;

const unhandled = recordUnhandledRejections();

let h: Harness;
let paymentIds: string[];
let withdrawalId: string;

beforeAll(async () => {
  h = await startHarness({
    simulator: { samplePayments: 40, processingMs: 20 },
    env: { SPACEPAY_TIMEOUT_MS: "3000", SPACEPAY_MAX_RETRIES: "2" },
  });
  const list = await h.call("list_payments", { limit: 40 });
  paymentIds = list.structuredContent.payments.map((p: { id: string }) => p.id);
  const w = await h.call("create_withdrawal", {
    amountInCents: 100,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
  });
  withdrawalId = w.structuredContent.withdrawal.id;
});
afterAll(async () => {
  await h?.close();
});

type Planned = { name: string; args: Record<string, unknown> };

/** A mix of reads with one create in ten and one withdrawal in twenty, each create distinct. */
function plan(wave: number): Planned[] {
  return Array.from({ length: CALLS }, (_, i): Planned => {
    const pick = <T>(xs: T[]) => xs[i % xs.length]!;
    if (i % 10 === 0)
      return {
        name: "create_payment",
        args: { amountInCents: 250 + i, orderId: uniqueOrder(`load${wave}-${i}`) },
      };
    if (i % 20 === 5)
      return {
        name: "create_withdrawal",
        args: {
          amountInCents: 100,
          chainId: BASE_SEPOLIA,
          recipientAddress: RECIPIENT,
          orderId: `load${wave}-${i}`,
        },
      };
    return pick<Planned>([
      { name: "get_payment", args: { paymentId: pick(paymentIds) } },
      { name: "list_payments", args: { limit: 10, offset: i % 30 } },
      { name: "list_payments", args: { status: "completed", limit: 5 } },
      { name: "list_withdrawals", args: { limit: 5 } },
      { name: "get_withdrawal", args: { withdrawalId } },
      { name: "get_wallet_balances", args: {} },
      { name: "list_supported_tokens", args: { chainId: "base-sepolia" } },
      { name: "get_payment", args: { paymentId: "00000000-0000-4000-8000-00000000beef" } },
    ]);
  });
}

function faultAll(): void {
  // Tried in order, each on about 3.5 % of requests: about 10 % faulted overall.
  h.sim.control.addFault({ kind: "error", status: 503, probability: 0.035 });
  h.sim.control.addFault({ kind: "reset", probability: 0.035 });
  h.sim.control.addFault({ kind: "truncate", probability: 0.035 });
}

it(`${WAVES} waves of ${CALLS} concurrent calls, 10 % faulted: all answered, no duplicate creates, bounded memory`, async () => {
  const rssAtStart = process.memoryUsage().rss;
  let rssAfterFirst = 0;
  for (let wave = 0; wave < WAVES; wave++) {
    const before = h.sim.control.counts();
    const calls = plan(wave);
    faultAll();
    const started = performance.now();
    const settled = await Promise.allSettled(calls.map((c) => h.call(c.name, c.args)));
    const ms = performance.now() - started;
    const fired = h.sim.control.listFaults().reduce((n, f) => n + f.fired, 0);
    h.sim.control.clearFaults();
    const requests = h.sim.control.counts().requests - before.requests;
    expect(requests).toBeGreaterThanOrEqual(CALLS);
    expect(fired / requests, `${fired} of ${requests} requests faulted`).toBeGreaterThan(0.04);
    expect(fired / requests).toBeLessThan(0.2);

    // Every call was answered with a result, never a rejection.
    const rejected = settled.filter((s) => s.status === "rejected");
    expect(rejected, String((rejected[0] as PromiseRejectedResult | undefined)?.reason)).toEqual([]);
    const results = settled.map((s) => (s as PromiseFulfilledResult<ToolResult>).value);
    for (const [i, res] of results.entries()) {
      if (!res.isError) continue;
      // Errors say what to do (the unknown payment's 404 is one of them).
      expect(textOf(res), calls[i]!.name).toMatch(/failed: .*Next step: /s);
      expect(textOf(res)).not.toMatch(/internal error/);
    }
    expect(ms).toBeLessThan(20_000);

    // The agent repeats every create that failed; then each create exists exactly once upstream.
    for (const [i, res] of results.entries()) {
      const c = calls[i]!;
      if (!res.isError || !c.name.startsWith("create_")) continue;
      const again = await h.call(c.name, c.args);
      expect(again.isError, `${c.name} again: ${textOf(again)}`).toBeFalsy();
    }
    const after = h.sim.control.counts();
    expect(after.payments - before.payments).toBe(calls.filter((c) => c.name === "create_payment").length);
    expect(after.withdrawals - before.withdrawals).toBe(
      calls.filter((c) => c.name === "create_withdrawal").length,
    );
    if (wave === 0) rssAfterFirst = process.memoryUsage().rss;
  }
  const rssAtEnd = process.memoryUsage().rss;
  expect(rssAtEnd - rssAtStart, `rss grew ${Math.round((rssAtEnd - rssAtStart) / 2 ** 20)} MB`).toBeLessThan(
    RSS_GROWTH_LIMIT,
  );
  // Later waves do not keep growing the way the first (warm-up) did.
  expect(rssAtEnd - rssAfterFirst).toBeLessThan(RSS_GROWTH_LIMIT / 2);

  // The server still answers, and nothing was left unhandled.
  const ok = await h.call("get_wallet_balances", {});
  expect(ok.isError, textOf(ok)).toBeFalsy();
  expect(unhandled).toEqual([]);
}, 60_000);
