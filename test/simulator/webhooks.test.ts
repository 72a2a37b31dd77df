// The simulator sends webhooks the way SpacePay does, and the built server's receiver takes them: set
// up through the control API (POST /__simulator/webhooks), every change is delivered signed; the faults
// (duplicate, bad signature, drop, reorder) each show at the receiver as they should, and whatever
// the order, a wait ends on SpacePay's real status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPayment, startWebhookServer, waitingFor, type WebhookServer } from "../webhooks/harness.js";

const SECRET = "whsec_simulator_sender_0123456789";

let w: WebhookServer;
let endpoint: string;

beforeAll(async () => {
  w = await startWebhookServer({ secrets: [SECRET] });
  endpoint = w.server.url.replace(/\/mcp$/, "/webhooks/spacepay");
}, 30_000);
afterAll(async () => w?.close());

async function configure(faults?: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${w.sim.url}/__simulator/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: endpoint, secret: SECRET, faults }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

interface Counts {
  verified: number;
  duplicates: number;
  rejected: number;
}
const events = async () => (await w.account()).events as Counts;
/** A new payment once every delivery its creation caused has been sent: its id. */
async function paymentSent(orderId: string): Promise<string> {
  const id = await newPayment(w.client, orderId);
  await w.sim.control.webhooksIdle();
  return id;
}
const deliveriesFor = (id: string) => w.sim.control.webhookDeliveries().filter((d) => d.objectId === id);

describe("the simulator's webhooks", () => {
  it("delivers each change signed, and the receiver verifies every one", async () => {
    // The answer never carries the secret back.
    expect(JSON.stringify(await configure())).not.toContain(SECRET);
    const before = await events();
    const id = await newPayment(w.client, "sim-webhooks-plain");
    await w.sim.control.pay(id, { outcome: "exact", wait: true });
    await w.sim.control.webhooksIdle();
    const sent = deliveriesFor(id);
    expect(sent.map((d) => [d.type, d.objectStatus, d.status, d.signature])).toEqual([
      ["payment.created", "pending", 200, "valid"],
      ["payment.updated", "processing", 200, "valid"],
      ["payment.updated", "completed", 200, "valid"],
    ]);
    expect(new Set(sent.map((d) => d.eventId)).size).toBe(3);
    expect((await events()).verified - before.verified).toBe(3);
  }, 30_000);

  it("duplicate: each event twice, the second acknowledged as a duplicate", async () => {
    await configure({ duplicate: 1 });
    const before = await events();
    const id = await paymentSent("sim-webhooks-duplicate");
    const sent = deliveriesFor(id);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.eventId).toBe(sent[1]!.eventId);
    const after = await events();
    expect([after.verified - before.verified, after.duplicates - before.duplicates]).toEqual([1, 1]);
  }, 30_000);

  it("bad signature: refused with 401, counted, not retried", async () => {
    await configure({ badSignature: 1 });
    const before = await events();
    const id = await paymentSent("sim-webhooks-bad-signature");
    expect(deliveriesFor(id).map((d) => [d.status, d.signature, d.attempt])).toEqual([[401, "bad", 1]]);
    const after = await events();
    expect([after.verified - before.verified, after.rejected - before.rejected]).toEqual([0, 1]);
  }, 30_000);

  it("drop: nothing is sent", async () => {
    await configure({ drop: 1 });
    const id = await paymentSent("sim-webhooks-drop");
    expect(deliveriesFor(id)).toEqual([]);
  }, 30_000);

  it("reorder: completed arrives before processing, and a wait still ends completed", async () => {
    await configure({ reorder: true });
    const id = await paymentSent("sim-webhooks-reorder");
    // Once the wait listens to the watcher.
    const { answer } = await waitingFor(w.client, id);
    await w.sim.control.pay(id, { outcome: "exact", wait: true });
    await w.sim.control.webhooksIdle();
    const updates = deliveriesFor(id).filter((d) => d.type === "payment.updated");
    // Sent in swapped order: the final status first.
    expect(updates.map((d) => [d.objectStatus, d.status])).toEqual([
      ["completed", 200],
      ["processing", 200],
    ]);
    expect(await answer).toMatchObject({ id, status: "completed", final: true });
  }, 30_000);

  it("POST /__simulator/webhooks refuses a bad URL or probability, and {url: null} stops sending", async () => {
    const post = (body: unknown) =>
      fetch(`${w.sim.url}/__simulator/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ url: "ftp://x", secret: SECRET })).status).toBe(400);
    expect((await post({ url: endpoint, secret: SECRET, faults: { drop: 2 } })).status).toBe(400);
    expect((await post({ url: endpoint })).status).toBe(400);
    expect((await post({ url: null })).status).toBe(200);
    const id = await paymentSent("sim-webhooks-off");
    expect(deliveriesFor(id)).toEqual([]);
  }, 30_000);
});
