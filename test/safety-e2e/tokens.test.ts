// The guard end to end: confirmation tokens through MCP (SPACEPAY_CONFIRM=token): what the agent is
// told, single use, expiry, and binding to the exact arguments and tool the user approved.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { RECIPIENT, type Harness, BASE_SEPOLIA, textOf, type ToolResult } from "../helpers/mcp-harness.js";
import {
  CAN_ELICIT,
  accept,
  expectRefusal,
  reachesNothing,
  scriptElicitation,
  withdrawal,
  withdrawalPosts,
  startListedHarness,
  connectListed,
} from "./helpers.js";

const OTHER = "0x2222222222222222222222222222222222222222";

let h: Harness;
beforeAll(async () => {
  h = await startListedHarness({
    env: { SPACEPAY_CONFIRM: "token", SPACEPAY_WITHDRAWAL_ALLOWLIST: `${RECIPIENT},${OTHER}` },
  });
});
afterAll(() => h.close());

/** Asks for a token for `args`; asserts nothing reached SpacePay doing so. */
async function tokenFor(tool: string, args: Record<string, unknown>): Promise<string> {
  const res: ToolResult = await reachesNothing(h.sim, () => h.call(tool, args));
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(res.structuredContent.status).toBe("confirmation_required");
  return res.structuredContent.confirmationToken as string;
}

/** Asserts a token refusal (rule confirmationToken) that reached nothing, and returns its text. */
async function refusedWith(tool: string, args: Record<string, unknown>): Promise<string> {
  const res: ToolResult = await reachesNothing(h.sim, () => h.call(tool, args));
  expect(res.isError, textOf(res)).toBe(true);
  // Machine-readable too: an automated caller can act on the rule without parsing text.
  expect(res.structuredContent).toMatchObject({ status: "refused", rule: "confirmationToken" });
  expect(textOf(res)).toMatch(/^Refused: /);
  expect(textOf(res)).toContain("confirmationToken");
  expect(textOf(res)).toMatch(/Nothing was sent/);
  return textOf(res);
}

describe("the round trip", () => {
  it("first call: confirmation_required with token, expiry and a summary, and nothing sent", async () => {
    const args = withdrawal({ amountInCents: 4_321 });
    const started = Date.now();
    const res: ToolResult = await reachesNothing(h.sim, () => h.call("create_withdrawal", args));

    expect(res.isError).toBeFalsy();
    const s = res.structuredContent;
    expect(s.status).toBe("confirmation_required");
    expect(s.mode).toBe("test");
    expect(s.confirmationToken).toMatch(/^cfm_[A-Za-z0-9_-]{32}$/);
    // Default TTL: 600 s.
    const ttl = Date.parse(s.expiresAt) - started;
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThan(610_000);
    expect(s.summary).toMatchObject({
      action: "create_withdrawal",
      amount: "$43.21",
      amountInCents: 4_321,
      chainId: BASE_SEPOLIA,
      recipientAddress: RECIPIENT,
      orderId: args.orderId,
      mode: "test",
    });
    const text = textOf(res);
    expect(text).toMatch(/^Confirmation required; nothing has been done yet/);
    expect(text).toContain(`Withdraw $43.21 USD to ${RECIPIENT} on chain ${BASE_SEPOLIA}`);
    expect(text).toMatch(/TEST mode/);
    expect(text).toContain(`confirmationToken "${s.confirmationToken}"`);
    expect(text).toMatch(/single use/);
    expect(text).toMatch(/If the user does not approve, do not call it again/);
  });

  it("the repeat with the token withdraws once; a second use replays it and sends nothing", async () => {
    const args = withdrawal({ amountInCents: 4_400 });
    const token = await tokenFor("create_withdrawal", args);

    const before = h.sim.control.counts().withdrawals;
    const done: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken: token });
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(done.structuredContent.status).toBe("done");
    expect(done.structuredContent.confirmation.by).toBe("token");
    expect(done.structuredContent.withdrawal.amount).toBe("$44.00");
    expect(h.sim.control.counts().withdrawals).toBe(before + 1);
    const posted = withdrawalPosts(h.sim).at(-1)!;
    expect(posted.headers["idempotency-key"]).toBe(done.structuredContent.confirmation.idempotencyKey);

    const again: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken: token });
    expect(again.structuredContent).toMatchObject({ status: "done", replayed: true });
    expect(again.structuredContent.withdrawal.id).toBe(done.structuredContent.withdrawal.id);
    expect(h.sim.control.counts().withdrawals).toBe(before + 1);
  });

  it("works the same for create_payment", async () => {
    const args = { amountInCents: 3_000, orderId: "token-pay-1" };
    const token = await tokenFor("create_payment", args);
    const done: ToolResult = await h.call("create_payment", { ...args, confirmationToken: token });
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(h.sim.control.getPayment(done.structuredContent.payment.id)?.amountInCents).toBe(3_000);
  });

  it("token mode never prompts, even a client that can elicit", async () => {
    const client = await connectListed(h, CAN_ELICIT);
    const human = scriptElicitation(client, accept);
    const res = (await client.callTool({ name: "create_withdrawal", arguments: withdrawal() })) as ToolResult;
    expect(res.structuredContent.status).toBe("confirmation_required");
    expect(human.prompts).toHaveLength(0);
  });
});

describe("tokens are bound to what the user approved", () => {
  it("a changed amount is refused naming amountInCents", async () => {
    const args = withdrawal({ amountInCents: 5_000 });
    const token = await tokenFor("create_withdrawal", args);
    const text = await refusedWith("create_withdrawal", {
      ...args,
      amountInCents: 9_000,
      confirmationToken: token,
    });
    expect(text).toContain("amountInCents (confirmed 5000, now 9000)");
    // The refused attempt did not use the token up: the approved call still goes through.
    const ok: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken: token });
    expect(ok.structuredContent?.status, textOf(ok)).toBe("done");
    expect(ok.structuredContent.withdrawal.amountInCents).toBe(5_000);
  });

  it("a changed recipient is refused naming recipientAddress", async () => {
    const args = withdrawal();
    const token = await tokenFor("create_withdrawal", args);
    const text = await refusedWith("create_withdrawal", {
      ...args,
      recipientAddress: OTHER,
      confirmationToken: token,
    });
    expect(text).toContain(`recipientAddress (confirmed "${RECIPIENT}", now "${OTHER}")`);
  });

  it("a changed chain is refused naming chainId", async () => {
    const args = withdrawal({ chainId: "base-sepolia" });
    const token = await tokenFor("create_withdrawal", args);
    const text = await refusedWith("create_withdrawal", {
      ...args,
      chainId: "sepolia",
      confirmationToken: token,
    });
    // Compared as normalised (CAIP-2), the form the summary, the handler and SpacePay all receive.
    expect(text).toContain('chainId (confirmed "eip155:84532", now "eip155:11155111")');
  });

  it("a token issued for create_payment is refused by create_withdrawal", async () => {
    const token = await tokenFor("create_payment", { amountInCents: 5_000, orderId: "token-cross-1" });
    const text = await refusedWith("create_withdrawal", withdrawal({ confirmationToken: token }));
    expect(text).toContain("issued for create_payment, not create_withdrawal");
  });

  it("an unknown token is refused", async () => {
    const text = await refusedWith(
      "create_withdrawal",
      withdrawal({ confirmationToken: "cfm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
    );
    expect(text).toMatch(/not recognised/);
  });

  it("policy still applies to a confirmed call: a token cannot lift the per-withdrawal maximum", async () => {
    const res: ToolResult = await reachesNothing(h.sim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: 100_001 })),
    );
    // Refused before any token is issued.
    expectRefusal(res, "SPACEPAY_MAX_WITHDRAWAL_CENTS", 100_000);
  });
});

describe("expiry", () => {
  it("the configured minimum TTL is 10 seconds", () => {
    const env = { SPACEPAY_SECRET_KEY: "sk_test_expiry_key_1", SPACEPAY_CONFIRM: "token" };
    expect(() => loadConfig({ env: { ...env, SPACEPAY_CONFIRM_TTL_SECONDS: "1" } })).toThrow(
      /SPACEPAY_CONFIRM_TTL_SECONDS.*minimum 10/,
    );
    expect(loadConfig({ env: { ...env, SPACEPAY_CONFIRM_TTL_SECONDS: "10" } }).confirmTtlSeconds).toBe(10);
  });

  it("a token used after its TTL is refused as expired, and nothing is sent", async () => {
    const short = await startListedHarness({
      sharedSim: h.sim,
      env: { SPACEPAY_CONFIRM: "token", SPACEPAY_CONFIRM_TTL_SECONDS: "10" },
    });
    try {
      const args = withdrawal();
      const first: ToolResult = await short.call("create_withdrawal", args);
      const token = first.structuredContent.confirmationToken as string;
      const expiresAt = Date.parse(first.structuredContent.expiresAt);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(10_000);
      // The server runs in this process: its clock (Date only, timers stay real) moves past the TTL.
      vi.setSystemTime(expiresAt + 200);
      const res: ToolResult = await reachesNothing(h.sim, () =>
        short.call("create_withdrawal", { ...args, confirmationToken: token }),
      ).finally(() => vi.useRealTimers());
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/^Refused: confirmationToken expired \(at /);
      expect(textOf(res)).toMatch(/without confirmationToken to get a new one/);
    } finally {
      await short.close();
    }
  }, 30_000);
});
