// Approval by a person's click, for a host that renders MCP Apps but has no elicitation (claude.ai's
// shape): the model gets no usable token, the card (real headless Chromium, ext-apps' AppBridge as
// the host) shows the withdrawal before anything moves, Approve sends exactly one, Decline none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { encode } from "gpt-tokenizer";
import { RECIPIENT, startHarness, textOf, type Harness } from "../helpers/mcp-harness.js";
import { withdrawalPosts } from "../safety-e2e/helpers.js";
import { APPROVAL_CARD_URI, APPROVAL_META_KEY, DECIDE_TOOL } from "../../src/server/app-contract.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, startViewHost, mountView } from "./host.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

const WITHDRAWAL = {
  amountInCents: 2500,
  chainId: "base-sepolia",
  recipientAddress: RECIPIENT,
  orderId: "PAYOUT-7",
};

describe("approval without elicitation: the model-visible parts", () => {
  let h: Harness;
  let ui: Client;
  beforeAll(async () => {
    h = await startHarness({ env: { SPACEPAY_CONFIRM: "auto" } });
    ui = await h.connect(UI_CAPABILITIES);
  });
  afterAll(() => h.close());

  it("tells the model a card is shown, and carries the handle only in _meta", async () => {
    const res = (await ui.callTool({ name: "create_withdrawal", arguments: WITHDRAWAL })) as any;
    const handle = res._meta?.[APPROVAL_META_KEY]?.handle;
    expect(handle).toMatch(/^apv_/);
    expect(textOf(res)).toMatch(/approval card/);
    expect(JSON.stringify([res.content, res.structuredContent])).not.toContain(handle);
    expect(res.structuredContent).not.toHaveProperty("confirmationToken");
    expect(res.structuredContent.status).toBe("confirmation_required");
    // Nor can the handle be used as a token by whoever does see it.
    const asToken = await ui.callTool({
      name: "create_withdrawal",
      arguments: { ...WITHDRAWAL, confirmationToken: handle },
    });
    expect(asToken.isError).toBe(true);
    expect(withdrawalPosts(h.sim)).toHaveLength(0);
  });

  it("lists the decision tool for the app only, and stays within 2,000 model-visible tokens", async () => {
    const { tools } = await ui.listTools();
    const decide = tools.find((t) => t.name === DECIDE_TOOL);
    expect(decide?._meta).toEqual({ ui: { visibility: ["app"] } });
    const forModel = tools.filter(
      (t) => !(t._meta as any)?.ui?.visibility?.every((v: string) => v === "app"),
    );
    const visible = forModel.map((t) => JSON.stringify([t.name, t.description, t.inputSchema])).join("\n");
    expect(encode(visible).length).toBeLessThanOrEqual(2000);
    // A client without the extension gets no such tool, and a token as before.
    expect((await h.client.listTools()).tools.map((t) => t.name)).not.toContain(DECIDE_TOOL);
    // (Another order: the identical call would be shown the same card, which is still pending.)
    const plain = await h.call("create_withdrawal", { ...WITHDRAWAL, orderId: "PAYOUT-8" });
    expect(plain.structuredContent.confirmationToken).toMatch(/^cfm_/);
  });

  it("refuses a handle it never issued", async () => {
    const res = await ui.callTool({
      name: DECIDE_TOOL,
      arguments: { handle: "apv_forged", decision: "approve" },
    });
    expect(res.isError).toBe(true);
    expect(withdrawalPosts(h.sim)).toHaveLength(0);
  });
});

describe.skipIf(!HAVE_CHROMIUM)("approval card", () => {
  let h: Harness;
  let ui: Client;
  let browser: Browser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ h, browser, ui, close } = await startViewHost({ env: { SPACEPAY_CONFIRM: "auto" } }));
  }, 40_000);
  afterAll(() => close?.());

  async function showCard(args: Record<string, unknown> = WITHDRAWAL, theme: "light" | "dark" = "light") {
    const res = (await ui.callTool({ name: "create_withdrawal", arguments: args })) as any;
    const host = await mountView(browser, ui, APPROVAL_CARD_URI, theme);
    await host.sendToolInput(args);
    await host.sendToolResult(res);
    await host.view().locator("[data-testid=approve]").waitFor();
    return { host, handle: res._meta[APPROVAL_META_KEY].handle as string };
  }

  it("shows amount, chain and recipient before anything moves; Approve sends exactly one withdrawal", async () => {
    const { host } = await showCard();
    const view = host.view();
    expect(await view.locator("[data-testid=amount]").textContent()).toBe("$25.00");
    expect(await view.locator("[data-testid=chain]").textContent()).toBe("Base Sepolia (eip155:84532)");
    expect(await view.locator("[data-testid=recipient]").textContent()).toBe(RECIPIENT);
    expect(await view.locator("[data-testid=order]").textContent()).toBe("PAYOUT-7");
    expect(await view.locator("[data-testid=mode]").textContent()).toMatch(/Test/);
    expect(withdrawalPosts(h.sim)).toHaveLength(0);
    await host.screenshot("approval-card-light");
    await host.setTheme("dark");
    await host.screenshot("approval-card-dark");

    await view.locator("[data-testid=approve]").click();
    await view.locator("[data-testid=withdrawal-id]").waitFor();
    expect(withdrawalPosts(h.sim)).toHaveLength(1);
    const id = await view.locator("[data-testid=withdrawal-id]").textContent();
    expect(h.sim.control.getWithdrawal(id!)).toBeDefined();
    expect(host.calls.map((c) => c.name)).toEqual([DECIDE_TOOL]);
    await host.screenshot("approval-card-approved-dark");

    // Audited as confirmed in the card, with its idempotency key.
    const audit = JSON.parse(
      ((await h.client.readResource({ uri: "spacepay://audit/recent" })).contents[0] as { text: string })
        .text,
    );
    const sent = audit.filter((e: any) => e.event === "outcome" && e.outcome === "done");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ confirmation: "app", tool: "create_withdrawal" });
    expect(sent[0].idempotencyKey).toBeTruthy();
    await host.close();
  }, 40_000);

  it("Decline sends nothing, and the handle cannot be used again", async () => {
    const before = withdrawalPosts(h.sim).length;
    // Another order than the one approved above (whose identical repeat replays what was sent).
    const { host, handle } = await showCard({ ...WITHDRAWAL, orderId: "PAYOUT-9" });
    const view = host.view();
    await view.locator("[data-testid=decline]").click();
    await expect.poll(() => view.locator("[data-testid=outcome]").textContent()).toMatch(/declined/);
    const again = await ui.callTool({ name: DECIDE_TOOL, arguments: { handle, decision: "approve" } });
    expect(again.isError).toBe(true);
    expect(withdrawalPosts(h.sim)).toHaveLength(before);
    await host.close();
  }, 30_000);
});
