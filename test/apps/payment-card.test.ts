// The payment card in real headless Chromium, fed real tool results from the simulator through a
// host built on ext-apps' AppBridge: amount, status, a QR code that scans back to the payment link,
// the quote, light and dark, and live status (a wait through the host, not polling) that stops at a final status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// jsqr is CommonJS: module.exports is the decoder, and so is its `.default`, the one its types name.
import jsqr from "jsqr";
import type { Browser } from "playwright-core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type Harness } from "../helpers/mcp-harness.js";
import { PAYMENT_CARD_URI } from "../../src/server/app-contract.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, startViewHost, mountView, qrPixels, type Host } from "./host.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

describe.skipIf(!HAVE_CHROMIUM)("payment card", () => {
  let h: Harness;
  let ui: Client;
  let browser: Browser;
  let host: Host;
  let paymentId: string;
  let paymentUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ h, browser, ui, close } = await startViewHost());
    const args = { amountInCents: 12050, orderId: "INV-2026-0142" };
    const created = (await ui.callTool({ name: "create_payment", arguments: args })) as any;
    paymentId = created.structuredContent.payment.id;
    paymentUrl = created.structuredContent.paymentUrl;
    await ui.callTool({ name: "create_quote", arguments: { paymentId } });
    host = await mountView(browser, ui, PAYMENT_CARD_URI);
    await host.sendToolInput(args);
    await host.sendToolResult(created);
  }, 40_000);

  afterAll(() => close?.());

  it("shows the amount in dollars, the status with its meaning and the order id", async () => {
    const view = host.view();
    await expect.poll(() => view.locator("[data-testid=amount]").textContent()).toBe("$120.50");
    expect(await view.locator("[data-testid=status]").textContent()).toBe("pending");
    expect(await view.locator("[data-testid=status-meaning]").textContent()).toBe(
      "waiting for the customer to pay",
    );
    expect(await view.locator("[data-testid=order]").textContent()).toBe("INV-2026-0142");
    expect(await view.locator("[data-testid=mode]").textContent()).toMatch(/Test/);
  });

  it("draws a QR code that scans back to the payment link", async () => {
    const { data, width, height } = await qrPixels(host.view());
    expect(jsqr.default(data, width, height)?.data).toBe(paymentUrl);
  }, 30_000);

  it("stays live by waiting through the host (wait_for_payment), not by polling", async () => {
    const wait = { paymentId, until: "change", since: "pending", timeoutSeconds: 50 };
    await expect.poll(() => host.calls).toEqual([{ name: "wait_for_payment", arguments: wait }]);
    expect(await host.view().locator("[data-testid=live]").textContent()).toBe(
      "Live: updates as the payment changes.",
    );
    // Minutes pass on the card's clock: no lookups while the wait is open.
    await host.page.clock.runFor(120_000);
    expect(host.calls).toEqual([{ name: "wait_for_payment", arguments: wait }]);
  });

  it("shows the quote a later get_payment result carries: token amount, chain and deposit address", async () => {
    const got = (await ui.callTool({ name: "get_payment", arguments: { paymentId } })) as any;
    await host.sendToolResult(got);
    const view = host.view();
    await view.locator("[data-testid=quote]").waitFor();
    const quote = got.structuredContent.payment.quotes.find((q: any) => q.status === "active");
    expect(await view.locator("[data-testid=deposit-address]").textContent()).toBe(quote.depositAddress);
    expect(await view.locator("[data-testid=quote-amount]").textContent()).toBe(quote.amountDue);
    expect(await view.locator("[data-testid=quote]").textContent()).toContain("Base");
    await host.screenshot("payment-card-light");
    await host.setTheme("dark");
    await host.screenshot("payment-card-dark");
    await host.setTheme("light");
    // The wait already open serves the new answer too: no second one.
    expect(host.calls.map((c) => c.name)).toEqual(["wait_for_payment"]);
  }, 30_000);

  it("follows the payment to its final status, reading it once per change, then stops asking", async () => {
    await h.sim.control.pay(paymentId);
    h.sim.control.settleNow();
    const view = host.view();
    await expect.poll(() => view.locator("[data-testid=status]").textContent()).toBe("completed");
    expect(await view.locator("[data-testid=live]").textContent()).toBe("Final status.");
    // Each get_payment follows a wait that ended on another status (processing may be seen on the way).
    const names = host.calls.map((c) => c.name);
    expect(names.join(" ")).toMatch(/^wait_for_payment get_payment( wait_for_payment get_payment)?$/);
    const asked = host.calls.length;
    await host.page.clock.runFor(60_000);
    expect(host.calls.length).toBe(asked);
  });
});

describe.skipIf(!HAVE_CHROMIUM)("payment card for get_payment (no payment link known)", () => {
  let ui: Client;
  let browser: Browser;
  let host: Host;
  let quote: any;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ browser, ui, close } = await startViewHost());
    const created = (await ui.callTool({
      name: "create_payment",
      arguments: { amountInCents: 2_575, orderId: "INV-2026-0777" },
    })) as any;
    const paymentId = created.structuredContent.payment.id;
    await ui.callTool({ name: "create_quote", arguments: { paymentId } });
    // A support agent looks the pending payment up later: get_payment knows no hosted link.
    const got = (await ui.callTool({ name: "get_payment", arguments: { paymentId } })) as any;
    expect(got.structuredContent.paymentUrl).toBeUndefined();
    quote = got.structuredContent.payment.quotes.find((q: any) => q.status === "active");
    host = await mountView(browser, ui, PAYMENT_CARD_URI);
    await host.sendToolInput({ paymentId });
    await host.sendToolResult(got);
  }, 40_000);

  afterAll(() => close?.());

  it("draws a QR code of the active quote as an EIP-681 request: token contract, chain id, deposit address, exact amount", async () => {
    const chainNumber = /^eip155:(\d+)$/.exec(quote.chainId)?.[1];
    expect(chainNumber).toBeDefined();
    const view = host.view();
    await view.locator("[data-testid=qr]").waitFor();
    const { data, width, height } = await qrPixels(view);
    expect(jsqr.default(data, width, height)?.data).toBe(
      `ethereum:${quote.contractAddress}@${chainNumber}/transfer?address=${quote.depositAddress}&uint256=${quote.expectedAmountAsset}`,
    );
    // Labelled as what it is: a wallet request for this exact amount, not a link.
    const label = await view.locator("[data-testid=qr-label]").textContent();
    expect(label).toContain("EIP-681");
    expect(label).toContain(quote.amountDue);
    expect(await view.locator("[data-testid=payment-url]").count()).toBe(0);
  }, 30_000);
});
