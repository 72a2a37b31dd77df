// The webhook and order-index figures reach the metrics: GET /metrics (SPACEPAY_METRICS=prometheus)
// counts deliveries by outcome, as spacepay://account does, and the payments the index holds.
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, startWebhookServer, type WebhookServer } from "./harness.js";

const SECRET = "whsec_metrics_0123456789abcdef";
let w: WebhookServer;

beforeAll(async () => {
  w = await startWebhookServer({ secrets: [SECRET], env: { SPACEPAY_METRICS: "prometheus" } });
}, 30_000);
afterAll(async () => w?.close());

it("GET /metrics counts webhook deliveries by outcome and the payments indexed", async () => {
  const [id] = w.sim.control.seed(1);
  expect((await w.paymentEvent("evt_metrics_1", id!)).status).toBe(200);
  expect((await w.paymentEvent("evt_metrics_1", id!)).body).toMatchObject({ duplicate: true });
  expect((await w.deliver({ body: "{}", secret: "whsec_not_this_one_000" })).status).toBe(401);
  await eventually(w.account, (a) => a.index.payments === 1, "the payment indexed");

  const res = await fetch(new URL("/metrics", w.server.url));
  expect(res.status).toBe(200);
  const text = await res.text();
  for (const [outcome, n] of [
    ["verified", 1],
    ["duplicate", 1],
    ["rejected", 1],
  ] as const)
    expect(text).toMatch(
      new RegExp(`^spacepay_webhook_events_total\\{[^}]*outcome="${outcome}"[^}]*\\} ${n}$`, "m"),
    );
  expect(text).toMatch(/^spacepay_order_index_payments\{[^}]*complete="false"[^}]*\} 1$/m);
  expect(text).not.toContain(SECRET);
}, 30_000);
