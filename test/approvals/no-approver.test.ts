// SPACEPAY_APPROVAL=passkey before anyone is enrolled: the server starts (enrolling needs a running
// instance on PostgreSQL) and says so, and every withdrawal is refused naming the command that enrolls
// one, with nothing sent; payment requests keep SPACEPAY_CONFIRM.
import { describe, expect, it } from "vitest";
import { BASE_SEPOLIA, RECIPIENT, useHarness } from "../helpers/mcp-harness.js";

describe("passkey approval with no approver enrolled", () => {
  const h = useHarness({ env: { SPACEPAY_APPROVAL: "passkey", SPACEPAY_CONFIRM: "off" } });

  it("refuses every withdrawal naming `spacepay-mcp approvers add`; nothing is sent", async () => {
    const before = h.sim.control.counts().withdrawals;
    const res = await h.call("create_withdrawal", {
      amountInCents: 2_000,
      chainId: BASE_SEPOLIA,
      recipientAddress: RECIPIENT,
      orderId: "no-approver-1",
    });
    expect(res.structuredContent).toMatchObject({ status: "refused", rule: "SPACEPAY_APPROVAL" });
    expect(res.structuredContent.message).toContain("spacepay-mcp approvers add");
    expect(h.sim.control.counts().withdrawals).toBe(before);
  });

  it("a payment request is not a withdrawal: SPACEPAY_CONFIRM still decides it", async () => {
    const res = await h.call("create_payment", { amountInCents: 1_500, orderId: "no-approver-pay" });
    expect(res.structuredContent.status).toBe("done");
  });
});
