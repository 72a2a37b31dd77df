// The payment card is event-driven: in real headless Chromium, over the built HTTP server with a
// webhook secret (polling once a minute as a safety net) and the simulator sending its signed events,
// a customer's payment reaches the card within seconds, with no timer of the card firing (its clock
// is virtual and stands still). Counted at the simulator, every request for
// the payment is one the card's calls or the events explain: each wait's first read, each get_payment
// after a change, each event's fetch by id; none is a poll.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { PAYMENT_CARD_URI } from "../../src/server/app-contract.js";
import {
  AUTH,
  eventually,
  newPayment,
  requestsFor,
  startWebhookServer,
  type WebhookServer,
} from "../webhooks/harness.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, launch, mountView, type Host } from "./host.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

const SECRET = "whsec_payment_card_0123456789abcdef";

let w: WebhookServer;
let ui: Client;
let browser: Browser;
let host: Host;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  [w, browser] = await Promise.all([startWebhookServer({ secrets: [SECRET] }), launch()]);
  ui = new Client({ name: "card-host", version: "1" }, { capabilities: UI_CAPABILITIES });
  await ui.connect(
    new StreamableHTTPClientTransport(new URL(w.server.url), { requestInit: { headers: AUTH } }),
  );
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await w?.close();
});

it.skipIf(!HAVE_CHROMIUM)(
  "a payment event reaches the card at once, and nothing polls the payment in between",
  async () => {
    const id = await newPayment(ui, "card-events");
    const got = (await ui.callTool({ name: "get_payment", arguments: { paymentId: id } })) as any;
    host = await mountView(browser, ui, PAYMENT_CARD_URI);
    await host.sendToolInput({ paymentId: id });
    const before = requestsFor(w.sim, id);
    await host.sendToolResult(got);
    await expect.poll(() => host.calls.map((c) => c.name)).toEqual(["wait_for_payment"]);

    // SpacePay sends each change from now on to the server's receiver.
    w.sim.control.webhooks({ url: w.server.url.replace(/\/mcp$/, "/webhooks/spacepay"), secret: SECRET });
    const paid = Date.now();
    await w.sim.control.pay(id, { outcome: "exact", wait: true });
    const view = host.view();
    await expect
      .poll(() => view.locator("[data-testid=status]").textContent(), { timeout: 10_000 })
      .toBe("completed");
    // Far sooner than the safety-net poll, a minute away.
    expect(Date.now() - paid).toBeLessThan(10_000);
    expect(await view.locator("[data-testid=live]").textContent()).toBe("Final status.");

    // Every request for the payment since the card showed it: one per card call (a wait's first
    // read, a get_payment after a change) and one per event (the receiver's fetch by id).
    await w.sim.control.webhooksIdle();
    const events = w.sim.control.webhookDeliveries().filter((d) => d.objectId === id);
    expect(events.map((e) => e.objectStatus)).toEqual(["processing", "completed"]);
    const names = host.calls.map((c) => c.name);
    expect(names.join(" ")).toMatch(/^wait_for_payment get_payment( wait_for_payment get_payment)?$/);
    const explained = host.calls.length + events.length;
    const counted = await eventually(
      async () => requestsFor(w.sim, id) - before,
      (n) => n >= explained,
      "the events' fetches",
    );
    expect(counted).toBe(explained);
    const verified = (await w.account()).events.verified;
    expect(verified).toBe(events.length);
  },
  40_000,
);
