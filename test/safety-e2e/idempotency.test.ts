// The guard end to end: money moves at most once. A repeated invoice is one payment upstream, and a
// withdrawal whose response was lost after SpacePay processed it is one withdrawal upstream, whether
// the client's own retry or the agent's repeat of the call recovers it.
import { describe, expect, it } from "vitest";
import { uniqueOrder, withdrawal, withdrawalPosts, useSharedSimulator } from "./helpers.js";
import { PAYMENTS_PATH, WITHDRAWALS_PATH, textOf, type ToolResult } from "../helpers/mcp-harness.js";

const e2e = useSharedSimulator();
const server = (env: Record<string, string> = {}) => e2e.open({ env });

/** Makes SpacePay process the next withdrawal POST and then drop the connection before answering. */
function loseNextWithdrawalResponse(): void {
  e2e.sim.control.addFault({ kind: "reset-after", method: "POST", path: WITHDRAWALS_PATH, count: 1 });
}

describe("payments", () => {
  it("the same invoice twice is one payment upstream", async () => {
    const h = await server();
    const before = e2e.sim.control.counts().payments;
    const invoice = { amountInCents: 7_700, orderId: uniqueOrder("inv") };
    const a: ToolResult = await h.call("create_payment", invoice);
    const b: ToolResult = await h.call("create_payment", invoice);
    expect(a.isError, textOf(a)).toBeFalsy();
    expect(b.structuredContent.payment.id).toBe(a.structuredContent.payment.id);
    expect(b.structuredContent.replayed).toBe(true);
    expect(e2e.sim.control.counts().payments).toBe(before + 1);
  });

  it("...also from another server process with its own state, and after two separate confirmations", async () => {
    const invoice = { amountInCents: 8_800, orderId: uniqueOrder("inv") };
    const before = e2e.sim.control.counts().payments;
    const a: ToolResult = await (await server()).call("create_payment", invoice);

    // A different conversation on another server (fresh state dir), confirming by token: SpacePay
    // replays the first; then the identical repeat there replays it without asking or sending.
    const other = await server({ SPACEPAY_CONFIRM: "token" });
    const ask: ToolResult = await other.call("create_payment", invoice);
    expect(ask.structuredContent.status).toBe("confirmation_required");
    const done: ToolResult = await other.call("create_payment", {
      ...invoice,
      confirmationToken: ask.structuredContent.confirmationToken,
    });
    const repeat: ToolResult = await other.call("create_payment", invoice);
    for (const res of [done, repeat]) {
      expect(res.isError, textOf(res)).toBeFalsy();
      expect(res.structuredContent.payment.id).toBe(a.structuredContent.payment.id);
      expect(res.structuredContent.replayed).toBe(true);
    }
    expect(e2e.sim.control.counts().payments).toBe(before + 1);
    const keys = new Set(
      e2e.sim.control
        .requests({ method: "POST", path: PAYMENTS_PATH })
        .filter((r) => (r.body as { orderId?: string }).orderId === invoice.orderId)
        .map((r) => r.headers["idempotency-key"]),
    );
    expect(keys.size).toBe(1);
  });

  it("a different amount on the same order is a different payment", async () => {
    const h = await server();
    const orderId = uniqueOrder("inv");
    const before = e2e.sim.control.counts().payments;
    await h.call("create_payment", { amountInCents: 1_000, orderId });
    await h.call("create_payment", { amountInCents: 1_001, orderId });
    expect(e2e.sim.control.counts().payments).toBe(before + 2);
  });
});

describe("a withdrawal whose response is lost after SpacePay processed it", () => {
  it("the client's retry reuses the key and SpacePay replays: one withdrawal upstream", async () => {
    const h = await server();
    const before = e2e.sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(e2e.sim).length;
    loseNextWithdrawalResponse();

    const res: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 3_300 }));
    expect(res.isError, textOf(res)).toBeFalsy();
    expect(res.structuredContent.replayed).toBe(true);
    expect(textOf(res)).toMatch(/nothing new was sent/);

    const posts = withdrawalPosts(e2e.sim).slice(postsBefore);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers["idempotency-key"]).toBe(posts[0]!.headers["idempotency-key"]);
    expect(posts[0]!.headers["idempotency-key"]).toBe(res.structuredContent.confirmation.idempotencyKey);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });

  it("without client retries, the call fails as ambiguous; repeating it resumes the key: one withdrawal", async () => {
    // The cap fits exactly one: the repeat must not count the same withdrawal twice.
    const h = await server({ SPACEPAY_MAX_RETRIES: "0", SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "3400" });
    const before = e2e.sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(e2e.sim).length;
    const args = withdrawal({ amountInCents: 3_400 });
    loseNextWithdrawalResponse();

    const failed: ToolResult = await h.call("create_withdrawal", args);
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/create_withdrawal/);
    // The agent is told a repeat is safe, which is what recovers it below.
    expect(textOf(failed)).toMatch(/It may have gone through. Repeat the identical call/);
    // SpacePay did create it, even though the agent was told it failed.
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);

    const again: ToolResult = await h.call("create_withdrawal", args);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(again.structuredContent.replayed).toBe(true);
    const posts = withdrawalPosts(e2e.sim).slice(postsBefore);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers["idempotency-key"]).toBe(posts[0]!.headers["idempotency-key"]);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);

    // Settled: a new withdrawal is now a new one, and the cap (one withdrawal's worth) is used up.
    const third: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 3_400 }));
    expect(third.isError).toBe(true);
    expect(textOf(third)).toContain("SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS=3400");
  });

  it("with a token, repeating the confirmed call with the same token resumes the key: one withdrawal", async () => {
    const h = await server({ SPACEPAY_MAX_RETRIES: "0", SPACEPAY_CONFIRM: "token" });
    const before = e2e.sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(e2e.sim).length;
    const args = withdrawal({ amountInCents: 3_500 });
    const ask: ToolResult = await h.call("create_withdrawal", args);
    const confirmed = { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
    loseNextWithdrawalResponse();

    const failed: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(failed.isError).toBe(true);
    const again: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(again.structuredContent.replayed).toBe(true);
    expect(again.structuredContent.confirmation.by).toBe("token");

    const posts = withdrawalPosts(e2e.sim).slice(postsBefore);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers["idempotency-key"]).toBe(posts[0]!.headers["idempotency-key"]);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);

    // Once it succeeded, the same call replays it: nothing is sent again.
    const third: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(third.structuredContent).toMatchObject({ status: "done", replayed: true });
    expect(withdrawalPosts(e2e.sim).slice(postsBefore)).toHaveLength(2);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });
});
