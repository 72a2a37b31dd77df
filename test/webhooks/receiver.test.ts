// The webhook receiver as SpacePay meets it: signed deliveries over real HTTP to the built server
// (SPACEPAY_WEBHOOK_SECRET with two secrets, a rotation), the simulator behind it. Each refusal is
// answered with its reason and changes nothing (no fetch at SpacePay, nothing recorded, its event id
// still free); an accepted event is fetched once by id and recorded in the order index; a redelivery is
// acknowledged and does nothing; both secrets of a rotation are accepted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAYMENTS_PATH } from "../helpers/mcp-harness.js";
import { eventually, startWebhookServer, type Delivery, type WebhookServer } from "./harness.js";

const NEW_SECRET = "whsec_new_0123456789abcdef";
const OLD_SECRET = "whsec_old_0123456789abcdef";

interface Events {
  configured: boolean;
  lastVerifiedAt: string | null;
  verified: number;
  duplicates: number;
  rejected: number;
}

let w: WebhookServer;

beforeAll(async () => {
  w = await startWebhookServer({ secrets: [NEW_SECRET, OLD_SECRET] });
}, 30_000);
afterAll(async () => w?.close());

const deliver = (d: Delivery) => w.deliver(d);
const account = async () => (await w.account()) as { events: Events; index: { payments: number } };

const fetchesOf = (paymentId: string) =>
  w.sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${paymentId}` }).length;

const paymentEvent = (id: string, paymentId: string) =>
  JSON.stringify({ id, type: "payment.updated", data: { id: paymentId, status: "completed" } });

describe("POST /webhooks/spacepay", () => {
  it("refuses each bad delivery with its reason, changes nothing, and leaves its event id usable", async () => {
    const [paymentId] = w.sim.control.seed(1);
    const body = paymentEvent("evt_refused_first", paymentId!);
    const before = await account();
    expect(before.events).toMatchObject({ configured: true, verified: 0, rejected: 0 });

    const refusals: Array<[Delivery, number, RegExp]> = [
      [{ body, secret: "whsec_someone_else_0123" }, 401, /does not match the body/],
      [{ body, signature: null }, 401, /no X-SpacePay-Signature/],
      [{ body, signature: "sha256=" + "0".repeat(64) }, 401, /does not match/],
      // Just outside the window as sent (built here, a future one would drift inside it on a slow run).
      [{ body, skewSeconds: -301 }, 400, /not within 300 s/],
      [{ body, skewSeconds: 301 }, 400, /not within 300 s/],
      [{ body, timestamp: null }, 400, /no X-SpacePay-Timestamp/],
      // Signed correctly, but not JSON, or JSON without what an event needs.
      [{ body: "{not json" }, 400, /not JSON/],
      [{ body: JSON.stringify({ type: "payment.updated", data: { id: paymentId } }) }, 400, /no event id/],
      [{ body: JSON.stringify({ id: "evt_x", type: "payment.updated", data: {} }) }, 400, /no payment id/],
      [{ body: Buffer.alloc(300 * 1024, 0x20) }, 413, /at most 262144 bytes/],
    ];
    for (const [delivery, status, reason] of refusals) {
      const answer = await deliver(delivery);
      expect(answer.status, reason.source).toBe(status);
      expect(answer.body.error.message).toMatch(reason);
      // No secret in any answer.
      expect(JSON.stringify(answer.body)).not.toContain("whsec_");
    }

    const after = await account();
    expect(after.events).toMatchObject({ verified: 0, duplicates: 0, rejected: refusals.length });
    expect(after.events.lastVerifiedAt).toBeNull();
    expect(after.index.payments).toBe(before.index.payments);
    expect(fetchesOf(paymentId!)).toBe(0);

    // The genuine delivery of the event id a refused one carried is still accepted.
    const genuine = await deliver({ body });
    expect(genuine).toEqual({ status: 200, body: { received: true } });
    await eventually(account, (a) => a.index.payments === before.index.payments + 1, "the payment indexed");
  }, 30_000);

  it("fetches an accepted payment event's object once by id and records it in the order index; a redelivery does nothing", async () => {
    const [paymentId] = w.sim.control.seed(1);
    const before = await account();
    const body = paymentEvent("evt_accepted", paymentId!);

    expect(await deliver({ body })).toEqual({ status: 200, body: { received: true } });
    const indexed = await eventually(
      account,
      (a) => a.index.payments === before.index.payments + 1,
      "the payment indexed",
    );
    expect(indexed.events.verified).toBe(before.events.verified + 1);
    expect(Date.parse(indexed.events.lastVerifiedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(fetchesOf(paymentId!)).toBe(1);

    // The same event again (SpacePay retries, a proxy repeats): acknowledged, nothing fetched or counted.
    expect(await deliver({ body })).toEqual({ status: 200, body: { received: true, duplicate: true } });
    const again = await account();
    expect(again.events.duplicates).toBe(before.events.duplicates + 1);
    expect(again.events.verified).toBe(indexed.events.verified);
    expect(fetchesOf(paymentId!)).toBe(1);

    // The list lookup by order finds it in the index.
    const order = w.sim.control.getPayment(paymentId!)!.orderId;
    const found = await w.client.callTool({ name: "list_payments", arguments: { orderId: order } });
    expect(JSON.stringify(found.structuredContent)).toContain(paymentId!);
  }, 30_000);

  it("accepts both secrets during a rotation, and reads the payload leniently", async () => {
    const [first, second] = w.sim.control.seed(2);
    const before = await account();
    // Signed with the old secret; the event id only in the header; `event` for the type; data.object.id.
    const old = await deliver({
      secret: OLD_SECRET,
      eventId: "evt_rotation_old",
      body: JSON.stringify({ event: "payment.updated", data: { object: { id: first } } }),
    });
    expect(old).toEqual({ status: 200, body: { received: true } });
    // Signed with the new one; the id at the top level as paymentId.
    const fresh = await deliver({
      body: JSON.stringify({ id: "evt_rotation_new", type: "payment.created", paymentId: second }),
    });
    expect(fresh).toEqual({ status: 200, body: { received: true } });
    await eventually(account, (a) => a.index.payments === before.index.payments + 2, "both payments indexed");
    expect(fetchesOf(first!)).toBe(1);
    expect(fetchesOf(second!)).toBe(1);
  }, 30_000);

  it("logs the first refusal of a burst with its reason, not one line per refusal, and never a webhook secret", () => {
    expect(w.server.stderr()).toContain("webhooks: SpacePay events accepted at POST /webhooks/spacepay");
    // The first test's ten refusals came within a minute: the first is logged at once (the rest go
    // into the minute's summary, test/webhooks/refusal-log.test.ts).
    const lines = w.server.stderr().split("\n");
    expect(lines.filter((l) => l.includes("webhook refused"))).toEqual([
      expect.stringMatching(
        /warn: webhook refused \(401\): .*does not match the body with any configured secret/,
      ),
    ]);
    // Not also as an HTTP 401 line of the edge's.
    expect(lines.filter((l) => l.includes("HTTP 401"))).toEqual([]);
    expect(w.server.stderr()).not.toContain(NEW_SECRET);
    expect(w.server.stderr()).not.toContain(OLD_SECRET);
  });

  // Last: it stops the server.
  it("a refusal summary still pending when the server stops is written at the stop", async () => {
    const summaries = () =>
      w.server
        .stderr()
        .split("\n")
        .filter((l) => l.includes("more deliver")).length;
    const body = paymentEvent("evt_refused_at_stop", "pay_at_stop");
    for (let i = 0; i < 2; i++)
      expect((await deliver({ body, secret: "whsec_someone_else_0123" })).status).toBe(401);
    const before = summaries();
    await w.server.stop();
    expect(summaries()).toBe(before + 1);
  });
});
