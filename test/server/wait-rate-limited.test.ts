// wait_for_payment under SpacePay's rate limit: a 429 while it waits (one its retries did not absorb)
// slows the wait down, honouring Retry-After, and the wait goes on within its own timeout: it ends
// with the payment's status, or timed out, never with the 429. Faults are injected at the simulator.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { startHarness, textOf, type Harness } from "../helpers/mcp-harness.js";
import { waitFor } from "../reliability/helpers.js";

let sim: SimulatorHandle;
const harnesses: Harness[] = [];

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 0 });
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  sim.control.clearFaults();
});
afterAll(async () => {
  await sim?.close();
});

async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const h = await startHarness({ sharedSim: sim, env });
  harnesses.push(h);
  return h;
}

async function pendingPayment(h: Harness, orderId: string): Promise<string> {
  const created = await h.call("create_payment", { amountInCents: 1_000, orderId });
  return created.structuredContent.payment.id as string;
}

const reads = (id: string) => sim.control.requests({ method: "GET", path: `**/payments/${id}/status` });

describe("wait_for_payment and a 429 from SpacePay", () => {
  it("backs off for the Retry-After when a poll is rate limited, then follows the payment to completion", async () => {
    // No retries: the 429 reaches the poll loop, as one the retries gave up on would.
    const h = await harness({ SPACEPAY_MAX_RETRIES: "0" });
    const id = await pendingPayment(h, "rate-limited-poll");
    const waiting = h.call("wait_for_payment", { paymentId: id, timeoutSeconds: 15 });
    // The first read and a poll went through; the next one is answered 429.
    await waitFor(() => reads(id).length >= 2, 5_000, "the wait to poll");
    const fault = sim.control.addFault({
      kind: "error",
      status: 429,
      retryAfter: 1,
      method: "GET",
      path: `**/payments/${id}/status`,
      count: 1,
    });
    await waitFor(() => !sim.control.listFaults().some((f) => f.id === fault.id), 5_000, "the 429");
    const limited = reads(id).length;
    await sim.control.pay(id, { outcome: "exact" });
    const res = await waiting;
    expect(res.isError, textOf(res)).toBeFalsy();
    expect(res.structuredContent).toMatchObject({ status: "completed", final: true, timedOut: false });
    // The read after the 429 waited for its Retry-After (1 s).
    const all = reads(id);
    const gap = Date.parse(all[limited]!.receivedAt) - Date.parse(all[limited - 1]!.receivedAt);
    expect(gap).toBeGreaterThanOrEqual(900);
  }, 20_000);

  it("backs off when its first read is rate limited without a Retry-After, and answers the status", async () => {
    const h = await harness({ SPACEPAY_MAX_RETRIES: "0" });
    const id = await pendingPayment(h, "rate-limited-first");
    sim.control.addFault({
      kind: "error",
      status: 429,
      method: "GET",
      path: `**/payments/${id}/status`,
      count: 1,
    });
    const res = await h.call("wait_for_payment", { paymentId: id, timeoutSeconds: 2 });
    expect(res.isError, textOf(res)).toBeFalsy();
    expect(res.structuredContent).toMatchObject({
      status: "pending",
      initialStatus: "pending",
      timedOut: true,
    });
    expect(reads(id).length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it("keeps within its timeout when the Retry-After is longer, with the default retries", async () => {
    const h = await harness();
    const id = await pendingPayment(h, "rate-limited-long");
    const started = Date.now();
    const waiting = h.call("wait_for_payment", { paymentId: id, timeoutSeconds: 2 });
    await waitFor(() => reads(id).length >= 2, 5_000, "the wait to poll");
    // Longer than the client's whole retry budget: its retries give up at once.
    sim.control.addFault({
      kind: "error",
      status: 429,
      retryAfter: 60,
      method: "GET",
      path: `**/payments/${id}/status`,
      count: 1,
    });
    const res = await waiting;
    expect(res.isError, textOf(res)).toBeFalsy();
    expect(res.structuredContent).toMatchObject({ status: "pending", timedOut: true });
    expect(Date.now() - started).toBeLessThan(4_000);
  }, 20_000);
});
