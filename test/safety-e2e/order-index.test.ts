// The order index against a 20,000-payment merchant in the simulator: once the backfill is done, an
// order among the oldest is found with at most 3 upstream requests (counted at the simulator), where
// the bounded scan alone does not find it at all; a backfill bounded short of all history says from
// when it covers and scans the rest; payments this server creates are in it at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { Runtime } from "../../src/runtime.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { waitFor } from "../reliability/helpers.js";

const MERCHANT_SIZE = 20_000;
/** A fast budget: the backfill is 20 pages of 1,000, paced by it. */
const ENV = { SPACEPAY_API_BUDGET_PER_SECOND: "50" };

let sim: SimulatorHandle;
/** SpacePay's list, newest first, read once before any test. */
let newestFirst: Array<{ id: string; orderId: string | null; createdAt: string }>;

beforeAll(async () => {
  sim = await startSimulator({ samplePayments: MERCHANT_SIZE, seed: 25 });
  const harness = await startHarness({ sharedSim: sim, env: { SPACEPAY_INDEX_BACKFILL_MAX: "0" } });
  newestFirst = [];
  for (let offset = 0; offset < MERCHANT_SIZE; offset += 1000) {
    const page = await harness.runtime.api.listPayments({ limit: 1000, offset });
    newestFirst.push(...page.data.data);
  }
  await harness.close();
}, 60_000);
afterAll(() => sim?.close());

async function backfilled(runtime: Runtime, complete = true): Promise<void> {
  runtime.orderIndex.start();
  await waitFor(
    () => runtime.orderIndex.stats().complete === complete && runtime.orderIndex.stats().coversSince !== null,
    30_000,
    "the backfill",
  );
}

function upstreamRequests(): number {
  return sim.control.requests({ path: "/v1/**" }).length;
}

describe("order index", () => {
  let h: Harness;
  afterAll(() => h?.close());

  it("finds an order among the oldest of 20,000 payments with at most 3 requests once backfilled", async () => {
    const oldest = newestFirst.at(-3)!;
    h = await startHarness({ sharedSim: sim, env: ENV });

    // Before the index: the bounded scan reads 5,000 payments in 5 pages and does not reach it.
    sim.control.clearRequests();
    const before = await h.call("list_payments", { orderId: oldest.orderId });
    expect(before.structuredContent.payments).toEqual([]);
    expect(before.structuredContent.scan).toMatchObject({ scanned: 5000, complete: false });
    expect(upstreamRequests()).toBe(5);

    await backfilled(h.runtime);
    expect(h.runtime.orderIndex.stats()).toEqual({
      payments: MERCHANT_SIZE,
      complete: true,
      coversSince: new Date(newestFirst.at(-1)!.createdAt).toISOString(),
    });

    sim.control.clearRequests();
    const after = await h.call("list_payments", { orderId: oldest.orderId });
    expect(after.structuredContent.payments.map((p: { id: string }) => p.id)).toEqual([oldest.id]);
    expect(after.structuredContent.scan).toMatchObject({ complete: true, index: { complete: true } });
    // One page of the incremental sync (nothing new) and one fetch by id for the live status.
    expect(upstreamRequests()).toBeLessThanOrEqual(3);

    // The account resource shows the same figures.
    const account = await h.client.readResource({ uri: "spacepay://account" });
    const doc = JSON.parse((account.contents[0] as { text: string }).text) as { index: unknown };
    expect(doc.index).toEqual(h.runtime.orderIndex.stats());
  }, 60_000);

  it("indexes a payment this server creates, and one created elsewhere since the backfill", async () => {
    const created = await h.call("create_payment", { amountInCents: 1234, orderId: "order-index-new" });
    expect(created.isError).toBeFalsy();
    // Created behind this server's back (another integration of the merchant): the sync finds it.
    const elsewhere = await h.runtime.api.createPayment({
      type: "payment",
      amountInCents: 999,
      currency: "USD",
      orderId: "order-index-elsewhere",
    });
    sim.control.clearRequests();
    const found = await h.call("list_payments", { orderId: "order-index-new" });
    expect(found.structuredContent.payments.map((p: { id: string }) => p.id)).toEqual([
      created.structuredContent.payment.id,
    ]);
    expect(upstreamRequests()).toBeLessThanOrEqual(3);
    const other = await h.call("list_payments", { orderId: "order-index-elsewhere" });
    expect(other.structuredContent.payments.map((p: { id: string }) => p.id)).toEqual([
      elsewhere.data.paymentId,
    ]);
    expect(other.structuredContent.scan.index).toMatchObject({ complete: true });
  });

  it("answers a date window from the index, fetching only the page asked for", async () => {
    const window = newestFirst.slice(15_000, 15_010);
    const after = window.at(-1)!.createdAt;
    const before = new Date(Date.parse(window[0]!.createdAt) + 1).toISOString();
    sim.control.clearRequests();
    const res = await h.call("list_payments", { createdAfter: after, createdBefore: before, limit: 5 });
    const expected = newestFirst.filter(
      (p) => Date.parse(p.createdAt) >= Date.parse(after) && Date.parse(p.createdAt) < Date.parse(before),
    );
    expect(res.structuredContent.page.total).toBe(expected.length);
    expect(res.structuredContent.payments.map((p: { id: string }) => p.id)).toEqual(
      expected.slice(0, 5).map((p) => p.id),
    );
    // The sync's one page, then one GET per payment shown.
    expect(upstreamRequests()).toBe(1 + 5);
  });
});

describe("order index bounded by SPACEPAY_INDEX_BACKFILL_MAX", () => {
  it("says from when it covers and scans the older rest", async () => {
    const h = await startHarness({ sharedSim: sim, env: { ...ENV, SPACEPAY_INDEX_BACKFILL_MAX: "3000" } });
    try {
      await backfilled(h.runtime, false);
      // The backfill stops at its bound: 3 pages, then no more.
      await waitFor(() => h.runtime.orderIndex.stats().payments >= 3000, 10_000, "3,000 indexed");
      const stats = h.runtime.orderIndex.stats();
      expect(stats.complete).toBe(false);
      // The 3,000th newest payment now (the tests above added two).
      const edge = (await h.runtime.api.listPayments({ limit: 1, offset: 2999 })).data.data[0]!;
      expect(stats.coversSince).toBe(new Date(edge.createdAt).toISOString());

      const older = newestFirst[4500]!;
      const res = await h.call("list_payments", { orderId: older.orderId });
      expect(res.structuredContent.payments.map((p: { id: string }) => p.id)).toEqual([older.id]);
      // The scan starts where the index stops (it does not read the 3,000 again) and ends at its bound.
      expect(res.structuredContent.scan).toEqual({
        scanned: 5000,
        complete: false,
        index: { complete: false, coversSince: stats.coversSince },
      });
      expect(res.content[0]).toMatchObject({
        text: expect.stringContaining(`The order index covers payments created since ${stats.coversSince}`),
      });
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe("order index backfill and shutdown", () => {
  it("a close while a backfill page is in flight ends it at once, not after the retry pause", async () => {
    // Its own simulator: the hang below must not reach the tests above.
    const small = await startSimulator({ samplePayments: 10, seed: 26 });
    const h = await startHarness({ sharedSim: small, env: ENV });
    try {
      small.control.addFault({ kind: "hang", method: "GET", path: "/v1/external/secretkey-auth/payments" });
      h.runtime.orderIndex.start();
      await waitFor(
        () => small.control.requests({ path: "/v1/external/secretkey-auth/payments" }).length > 0,
        10_000,
        "the backfill's first page asked for",
      );
      // The cut request must not park the backfill in its 30 s retry pause: that held a server that
      // could not listen (exit 2) open until the test runner killed it.
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        h.close().then(() => "closed"),
        new Promise((resolve) => (timer = setTimeout(() => resolve("still closing after 5 s"), 5_000))),
      ]);
      clearTimeout(timer);
      expect(closed).toBe("closed");
    } finally {
      await small.close();
    }
  }, 30_000);
});
