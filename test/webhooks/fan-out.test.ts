// Fan-out in process: with SPACEPAY_WEBHOOK_SECRET the built HTTP server polls a watched payment only
// once a minute, and a signed event makes whoever watches it hear at once. A wait_for_payment in
// progress answers right after the event, the only request for that payment in between being the
// receiver's one fetch by id (counted at the simulator); a 2026-07-28 listen stream gets one
// notifications/resources/updated, and the same event delivered again gives no second one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAYMENTS_PATH } from "../helpers/mcp-harness.js";
import {
  expectEventWakesListener,
  newPayment,
  requestsFor,
  startWebhookServer,
  waitingFor,
  type WebhookServer,
} from "./harness.js";

let w: WebhookServer;

beforeAll(async () => {
  w = await startWebhookServer({ secrets: ["whsec_fan_out_0123456789abcdef"] });
}, 30_000);
afterAll(async () => w?.close());

describe("a verified event wakes the payment's watchers at once", () => {
  it("the startup log says polling is the safety net, once a minute", () => {
    expect(w.server.stderr()).toContain("payments polled every 60000 ms as a safety net");
  });

  it("a waiting wait_for_payment answers right after the event, with only the receiver's fetch in between", async () => {
    const id = await newPayment(w.client, "fan-out-wait");
    // Once the wait listens to the watcher.
    const { answer } = await waitingFor(w.client, id);
    await w.sim.control.pay(id, { outcome: "exact", wait: true });
    const before = requestsFor(w.sim, id);

    const sent = Date.now();
    expect(await w.paymentEvent("evt_fan_out_wait", id)).toEqual({ status: 200, body: { received: true } });
    const result = await answer;
    const tookMs = Date.now() - sent;

    expect(result).toMatchObject({ id, status: "completed", final: true, timedOut: false });
    // One request for the payment between the event and the answer: the receiver's fetch by id.
    expect(requestsFor(w.sim, id) - before).toBe(1);
    // Far sooner than the next poll (a minute away).
    expect(tookMs).toBeLessThan(5_000);
  }, 30_000);

  it("a 2026-07-28 listen stream gets one notification; the same event again gives none", async () => {
    const id = await newPayment(w.client, "fan-out-listen");
    await expectEventWakesListener(w, {
      id,
      uri: `spacepay://payments/${id}`,
      settle: () => w.sim.control.pay(id, { outcome: "exact", wait: true }),
      deliver: () => w.paymentEvent("evt_fan_out_listen", id),
    });
  }, 30_000);
});

describe("when an event is lost, the sweep is the safety net", () => {
  let fast: WebhookServer;
  beforeAll(async () => {
    fast = await startWebhookServer({
      secrets: ["whsec_sweep_0123456789abcdef"],
      env: { SPACEPAY_POLL_INTERVAL_MS: "250" },
    });
  }, 30_000);
  afterAll(async () => fast?.close());

  it("a wait ends on the sweep: open payments listed by status, the changed one read once by id", async () => {
    const id = await newPayment(fast.client, "sweep-no-event");
    const { answer } = await waitingFor(fast.client, id);
    // Any route naming the payment (the watcher reads a payment this server made by its payment secret).
    const byId = () => requestsFor(fast.sim, id);
    const listsBefore = fast.sim.control.requests({ method: "GET", path: PAYMENTS_PATH }).length;
    const readsBefore = byId();
    // Paid, and no webhook is sent (none is configured at the simulator): only polling can see it.
    await fast.sim.control.pay(id, { outcome: "exact", wait: true });
    expect(await answer).toMatchObject({ id, status: "completed", final: true });
    const lists = fast.sim.control
      .requests({ method: "GET", path: PAYMENTS_PATH })
      .slice(listsBefore)
      .map((r) => r.query.status);
    expect(lists.length).toBeGreaterThan(0);
    expect(new Set(lists)).toEqual(new Set(["pending", "processing"]));
    expect(byId() - readsBefore).toBe(1);
  }, 30_000);
});
