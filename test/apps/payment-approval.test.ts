// The payment card's own approval panel, for a host that renders MCP Apps but has no elicitation
// (claude.ai's shape): create_payment and create_deposit wait on the card, in real headless Chromium
// with ext-apps' AppBridge as the host. Approve creates exactly one payment upstream and the card
// turns into that payment (amount, a QR code that scans back to its link); Decline creates none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// jsqr is CommonJS: module.exports is the decoder, and so is its `.default`, the one its types name.
import jsqr from "jsqr";
import type { Browser } from "playwright-core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { textOf, type Harness, PAYMENTS_PATH } from "../helpers/mcp-harness.js";
import { APPROVAL_META_KEY, DECIDE_TOOL, PAYMENT_CARD_URI } from "../../src/server/app-contract.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, startViewHost, mountView, qrPixels } from "./host.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

const PAYMENT = { amountInCents: 4_999, orderId: "INV-APPROVE-1" };

describe.skipIf(!HAVE_CHROMIUM)("payment card approval", () => {
  let h: Harness;
  let ui: Client;
  let browser: Browser;
  const paymentPosts = () => h.sim.control.requests({ method: "POST", path: PAYMENTS_PATH });
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ h, browser, ui, close } = await startViewHost({ env: { SPACEPAY_CONFIRM: "auto" } }));
  }, 40_000);
  afterAll(() => close?.());

  /** Calls `tool` as the model would, checks what the model sees, then shows the card with it. */
  async function showCard(tool: "create_payment" | "create_deposit", args: Record<string, unknown>) {
    const res = (await ui.callTool({ name: tool, arguments: args })) as any;
    const handle = res._meta?.[APPROVAL_META_KEY]?.handle as string;
    expect(handle).toMatch(/^apv_/);
    // The model is told a card waits; nothing it sees is usable to approve.
    expect(textOf(res)).toMatch(/approval card/);
    expect(JSON.stringify([res.content, res.structuredContent])).not.toContain(handle);
    expect(res.structuredContent).not.toHaveProperty("confirmationToken");
    expect(res.structuredContent.status).toBe("confirmation_required");
    const host = await mountView(browser, ui, PAYMENT_CARD_URI);
    await host.sendToolInput(args);
    await host.sendToolResult(res);
    await host.view().locator("[data-testid=approve]").waitFor();
    return { host, handle };
  }

  it("shows the payment request before anything is created; Approve creates exactly one and shows it", async () => {
    const { host } = await showCard("create_payment", PAYMENT);
    const view = host.view();
    expect(await view.locator("h1").textContent()).toBe("Approve payment request");
    expect(await view.locator("[data-testid=amount]").textContent()).toBe("$49.99");
    expect(await view.locator("[data-testid=order]").textContent()).toBe("INV-APPROVE-1");
    expect(paymentPosts()).toHaveLength(0);
    await host.screenshot("payment-card-approval-light");

    await view.locator("[data-testid=approve]").click();
    await view.locator("[data-testid=status]").waitFor();
    expect(paymentPosts()).toHaveLength(1);
    // Nothing more is created: the card only goes on to wait for the payment it shows.
    await expect.poll(() => host.calls.map((c) => c.name)).toEqual([DECIDE_TOOL, "wait_for_payment"]);
    expect(await view.locator("[data-testid=amount]").textContent()).toBe("$49.99");
    expect(await view.locator("[data-testid=status]").textContent()).toBe("pending");
    expect(await view.locator("[data-testid=order]").textContent()).toBe("INV-APPROVE-1");
    // The link is the created payment's own, and the QR code scans back to it.
    const url = (await view.locator("[data-testid=payment-url]").textContent())!;
    const id = url.slice(`${h.sim.url}/pay/`.length);
    expect(url).toBe(`${h.sim.url}/pay/${id}`);
    expect(h.sim.control.getPayment(id)).toMatchObject({ orderId: "INV-APPROVE-1", amountInCents: 4_999 });
    const { data, width, height } = await qrPixels(view);
    expect(jsqr.default(data, width, height)?.data).toBe(url);
    await host.screenshot("payment-card-approved-light");
    await host.close();
  }, 40_000);

  it("Decline creates nothing, says so, and the handle cannot be used again", async () => {
    const before = paymentPosts().length;
    const { host, handle } = await showCard("create_deposit", { orderId: "DEP-DECLINE-1" });
    const view = host.view();
    expect(await view.locator("h1").textContent()).toBe("Approve deposit request");
    await view.locator("[data-testid=decline]").click();
    await expect.poll(() => view.locator("[data-testid=outcome]").textContent()).toMatch(/declined/);
    expect(await view.locator("[data-testid=outcome]").textContent()).toMatch(/no deposit was created/);
    // A person's choice, not a failure.
    expect(await view.locator("h1").textContent()).toBe("Declined");
    expect(await view.locator("[data-testid=error]").count()).toBe(0);
    await host.screenshot("payment-card-declined-light");
    const again = await ui.callTool({ name: DECIDE_TOOL, arguments: { handle, decision: "approve" } });
    expect(again.isError).toBe(true);
    expect(paymentPosts()).toHaveLength(before);
    expect(host.calls.map((c) => c.name)).toEqual([DECIDE_TOOL]);
    await host.close();
  }, 30_000);
});
