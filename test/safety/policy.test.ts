// Spending rules that refuse a call before anyone is asked to confirm it.
import { describe, expect, it } from "vitest";
import { checkDailyLimit, checkPolicy, isAllowedRecipient } from "../../src/safety/index.js";
import { CHAIN, RECIPIENT, paymentSummary, policy, withdrawalArgs, withdrawalSummary } from "./helpers.js";

const withdrawal = (overrides: Parameters<typeof withdrawalArgs>[0] = {}) =>
  withdrawalSummary(withdrawalArgs(overrides));

describe("checkPolicy", () => {
  it("allows a withdrawal within every limit", () => {
    expect(checkPolicy(withdrawal(), policy(), "test")).toBeNull();
  });

  it("refuses a withdrawal above the single-withdrawal maximum, naming the rule and value", () => {
    const refusal = checkPolicy(withdrawal({ amountInCents: 100_001 }), policy(), "test");
    expect(refusal).toMatchObject({ rule: "SPACEPAY_MAX_WITHDRAWAL_CENTS", configured: 100_000 });
    expect(refusal?.message).toContain("SPACEPAY_MAX_WITHDRAWAL_CENTS=100000");
    expect(refusal?.message).toContain("$1,000.01");
  });

  it("refuses a single withdrawal larger than the whole daily limit", () => {
    const refusal = checkPolicy(
      withdrawal({ amountInCents: 60_000 }),
      policy({ dailyWithdrawalLimitCents: 50_000 }),
      "test",
    );
    expect(refusal).toMatchObject({ rule: "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS", configured: 50_000 });
  });

  it("refuses withdrawals with a live key unless live withdrawals are allowed", () => {
    expect(checkPolicy(withdrawal(), policy(), "live")).toMatchObject({
      rule: "SPACEPAY_ALLOW_LIVE_WITHDRAWALS",
      configured: false,
    });
    expect(checkPolicy(withdrawal(), policy({ allowLiveWithdrawals: true }), "live")).toBeNull();
    expect(checkPolicy(withdrawal(), policy(), "demo")).toBeNull();
  });

  it("refuses unconfirmed withdrawals when no allow-list is set", () => {
    expect(checkPolicy(withdrawal(), policy({ confirm: "off" }), "test")).toMatchObject({
      rule: "SPACEPAY_CONFIRM",
    });
    const listed = policy({ confirm: "off", withdrawalAllowlist: [{ address: RECIPIENT }] });
    expect(checkPolicy(withdrawal(), listed, "test")).toBeNull();
  });

  it("refuses a payment request above the maximum, but not a deposit (it has no amount)", () => {
    const p = policy({ maxPaymentCents: 10_000 });
    expect(checkPolicy(paymentSummary({ amountInCents: 10_001, orderId: "o" }), p, "live")).toMatchObject({
      rule: "SPACEPAY_MAX_PAYMENT_CENTS",
      configured: 10_000,
    });
    expect(checkPolicy(paymentSummary({ amountInCents: 10_000, orderId: "o" }), p, "live")).toBeNull();
    expect(checkPolicy(paymentSummary({ orderId: "o" }, "create_deposit"), p, "live")).toBeNull();
  });
});

describe("withdrawal allow-list", () => {
  const upper = "0xABCDEFabcdefABCDEFabcdefABCDEFabcdef0001";
  const list = policy({
    withdrawalAllowlist: [{ address: upper }, { chainId: "eip155:8453", address: RECIPIENT }],
  });

  it("compares EVM addresses case-insensitively", () => {
    expect(checkPolicy(withdrawal({ recipientAddress: upper.toLowerCase() }), list, "test")).toBeNull();
  });

  it("matches a chain-qualified entry only on its chain", () => {
    expect(checkPolicy(withdrawal({ chainId: "eip155:8453" }), list, "test")).toBeNull();
    const refusal = checkPolicy(withdrawal({ chainId: CHAIN }), list, "test");
    expect(refusal).toMatchObject({ rule: "SPACEPAY_WITHDRAWAL_ALLOWLIST" });
    expect(refusal?.configured).toEqual([upper, `eip155:8453:${RECIPIENT}`]);
    expect(refusal?.message).toContain(RECIPIENT);
  });

  it("refuses every recipient not on the list", () => {
    const other = "0x2222222222222222222222222222222222222222";
    expect(checkPolicy(withdrawal({ recipientAddress: other }), list, "test")?.rule).toBe(
      "SPACEPAY_WITHDRAWAL_ALLOWLIST",
    );
  });

  it("keeps non-EVM addresses case-sensitive", () => {
    const solana = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV";
    expect(isAllowedRecipient([{ address: solana }], "solana:x", solana)).toBe(true);
    expect(isAllowedRecipient([{ address: solana }], "solana:x", solana.toLowerCase())).toBe(false);
  });
});

describe("checkDailyLimit", () => {
  it("allows exactly up to the cap and says how much is left when refusing", () => {
    expect(checkDailyLimit(1_000, 4_000, 5_000)).toBeNull();
    const refusal = checkDailyLimit(1_001, 4_000, 5_000);
    expect(refusal).toMatchObject({ rule: "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS", configured: 5_000 });
    expect(refusal?.message).toContain("$10.00 left");
  });
});
