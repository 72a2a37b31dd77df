// Issue 11 item 11: resources/subscribe is refused for a payment SpacePay does not have, and polling
// for a subscription ends once the payment is final (no requests after that).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { WITHDRAWALS_PATH, startHarness, type Harness } from "../helpers/mcp-harness.js";
import { withdrawal } from "../safety-e2e/helpers.js";

const PAYMENTS_PATH = "/v1/external/secretkey-auth/payments";
let h: Harness;
const updates: string[] = [];

beforeAll(async () => {
  h = await startHarness({ simulator: { processingMs: 0 } }); // the harness polls every 30 ms
  h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
});
afterAll(() => h?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newPayment(orderId: string): Promise<string> {
  const res = await h.call("create_payment", { amountInCents: 1_000, orderId });
  return res.structuredContent.payment.id;
}

/** GETs of this one payment the simulator received. */
const polls = (id: string) =>
  h.sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${id}` }).length;

describe("resources/subscribe", () => {
  it("refuses a payment that does not exist, saying so", async () => {
    const uri = "spacepay://payments/00000000-0000-4000-8000-000000000000";
    await expect(h.client.subscribeResource({ uri })).rejects.toThrow(/has no payment "00000000-0000-4000/);
    // Nothing is left polling for it.
    const before = h.sim.control.counts().requests;
    await sleep(150);
    expect(h.sim.control.counts().requests).toBe(before);
  });

  it("stops polling once the payment is final", async () => {
    const id = await newPayment("sub-final-1");
    const uri = `spacepay://payments/${id}`;
    await h.client.subscribeResource({ uri });
    await sleep(100);
    expect(polls(id)).toBeGreaterThan(1); // it is being watched
    await h.sim.control.pay(id, { outcome: "exact", wait: true });
    const deadline = Date.now() + 5_000;
    while (!updates.includes(uri) && Date.now() < deadline) await sleep(20);
    expect(updates).toContain(uri);
    await sleep(100); // let a poll already in flight land
    const settled = polls(id);
    await sleep(200); // several poll intervals
    expect(polls(id)).toBe(settled);
  });

  it("a withdrawal can be subscribed to: its change is notified, then nothing polls it", async () => {
    const made = await h.call(
      "create_withdrawal",
      withdrawal({ amountInCents: 1_000, orderId: "sub-withdrawal" }),
    );
    const id = made.structuredContent.withdrawal.id;
    const uri = `spacepay://withdrawals/${id}`;
    const reads = () => h.sim.control.requests({ method: "GET", path: `${WITHDRAWALS_PATH}/${id}` }).length;
    await h.client.subscribeResource({ uri });
    await h.sim.control.completeWithdrawal(id, { wait: true });
    const deadline = Date.now() + 5_000;
    while (!updates.includes(uri) && Date.now() < deadline) await sleep(20);
    expect(updates).toContain(uri);
    await sleep(100); // let a poll already in flight land
    const settled = reads();
    await sleep(200); // several poll intervals
    expect(reads()).toBe(settled);
  });

  it("accepts a payment that is already final; nothing polls it afterwards", async () => {
    const id = await newPayment("sub-final-2");
    await h.sim.control.pay(id, { outcome: "exact", wait: true });
    await h.client.subscribeResource({ uri: `spacepay://payments/${id}` });
    await sleep(60);
    const after = polls(id);
    await sleep(200);
    expect(polls(id)).toBe(after);
  });
});
