// Lenient parsing: both documented payload shapes (older doc examples and the OpenAPI file) read
// into the one internal shape, with unknown fields kept and missing nullable fields as null.
import { describe, expect, it } from "vitest";
import {
  CreatedPaymentSchema,
  PaymentPageSchema,
  PaymentSchema,
  WalletBalancesSchema,
  WithdrawalSchema,
  quoteSchema,
} from "../../src/spacepay/schemas.js";
import { fixture } from "./harness.js";

const DOC_PAYMENT = "4291f98b-d68c-4eb0-883e-6bc790a41c96";

describe("doc-example shapes (numeric chain ids, top-level deposit address, string rates)", () => {
  it("create-payment response", () => {
    const c = CreatedPaymentSchema.parse(fixture("docs-create-payment-response.json"));
    expect(c.paymentId).toBe(DOC_PAYMENT);
    expect(c.secret).toBe("payment_secret_key");
    const p = c.payment;
    expect(p).toMatchObject({ type: "payment", currency: "USD", amountInCents: 250, status: "pending" });
    // Absent in this shape: read as null rather than failing.
    expect(p).toMatchObject({
      amountDueCents: null,
      convenienceFeeCents: null,
      amountMerchantNetCents: null,
    });
    expect(p.depositAddress).toBe("0xa35e74109b7040d0ee74cb7cb71bae35a2981254");
    const q = p.quotes[0]!;
    expect(q.chainId).toBe("eip155:84532");
    expect(q.token.chain.chainId).toBe("eip155:84532");
    expect(q.token.chain.isTestnet).toBe(true); // not in the example: from the known-chain table
    expect(q.depositAddress).toBe("0xa35e74109b7040d0ee74cb7cb71bae35a2981254");
    expect(q.rateUsdAsset).toBe("3742.05353900");
    expect(q.expectedAmountAsset).toBe("668082370801162");
    expect(q.amountDueCents).toBeNull();
    expect(q.token.tokenPriceUsd).toBeNull();
    expect(q.token.coingeckoApiId).toBe("ethereum"); // unknown to types.ts, kept
  });

  it("get-payment receipt (transactionHash, blockNumber, confirmations, completedAt)", () => {
    const p = PaymentSchema.parse(fixture("docs-get-payment.json"));
    expect(p.receipt).toMatchObject({
      txHash: "0x1234567890abcdef1234567890abcdef12345678",
      blockNumber: 18500000,
      confirmations: 12,
      timestamp: "2025-10-10T21:45:00.000Z",
      chainId: null,
      senderAddress: null,
      settledAmountAsset: null,
      settledAmountUsd: null,
      token: null,
      requiredConfirmations: 12,
    });
    expect(p.updatedAt).toBe("2025-10-10T21:45:00.000Z");
  });

  it("list-payments page whose tokens have no chain: the chain comes from the quote", () => {
    const page = PaymentPageSchema.parse(fixture("docs-list-payments.json"));
    expect(page.pagination).toEqual({
      total: 84,
      limit: 50,
      offset: 0,
      hasMore: true,
      totalPages: 2,
      currentPage: 1,
    });
    const token = page.data[0]!.quotes[0]!.token;
    expect(token.chain).toMatchObject({ chainId: "eip155:84532", name: "Base Sepolia", inferred: true });
    expect(page.data[0]!.receipt?.txHash).toBe("0x1234567890abcdef1234567890abcdef12345678");
  });
});

describe("OpenAPI shapes (CAIP-2, per-quote deposit address, numeric rates, PaymentReceiptDto)", () => {
  it("a completed MerchantPaymentDto", () => {
    const p = PaymentSchema.parse(fixture("openapi-payment-completed.json"));
    expect(p.depositAddress).toBeNull();
    expect(p.merchantLogoUrl).toBeNull(); // kept although types.ts does not name it
    const q = p.quotes[0]!;
    expect(q.depositAddress).toBe("0x5c7d1e4b2a9f3c6d8e0a1b2c3d4e5f6a7b8c9d0e");
    expect(q.rateUsdAsset).toBe("0.99985");
    expect(q.amountDueCents).toBe(1285);
    expect(p.receipt).toMatchObject({
      txHash: "0xda3be87732110de6c1354c83770aae630ede9ac308d9f7b399ecfba23d923384",
      chainId: "eip155:84532",
      senderAddress: "0x31adfe243828bb73e5186f77a66de459a4f568a8",
      blockNumber: 123456,
      confirmations: null,
      settledAmountAsset: "12850000",
      settledAmountUsd: "12.85",
      timestamp: "2026-01-15T10:03:00.000Z",
      txRiskSeverity: "LOW_RISK",
    });
    expect(p.receipt?.token?.symbol).toBe("USDC");
  });

  it("a quote read alone takes paymentId from the route when the body lacks it", () => {
    const raw = { ...fixture<Record<string, unknown>>("openapi-quote.json") };
    delete raw.paymentId;
    delete raw.depositAddress;
    const q = quoteSchema("from-path").parse(raw);
    expect(q.paymentId).toBe("from-path");
    expect(q.depositAddress).toBeNull();
  });
});

describe("field variants", () => {
  const quote = fixture<Record<string, unknown>>("openapi-quote.json");

  it.each([
    [3742.053539, "3742.053539"],
    ["3742.05353900", "3742.05353900"],
    [1e-7, "0.0000001"],
    [2.5e21, "2500000000000000000000"],
    [1, "1"],
  ])("rateUsdAsset %s reads as %s", (rate, out) => {
    expect(quoteSchema("p").parse({ ...quote, rateUsdAsset: rate }).rateUsdAsset).toBe(out);
  });

  it.each([84532, "84532", "eip155:84532"])("chainId %s reads as CAIP-2", (chainId) => {
    expect(quoteSchema("p").parse({ ...quote, chainId }).chainId).toBe("eip155:84532");
  });

  it("a deposit address given as a bare string", () => {
    expect(quoteSchema("p").parse({ ...quote, depositAddress: "0xabc" }).depositAddress).toBe("0xabc");
  });

  it("token contract addresses are lowercased", () => {
    const token = {
      ...(quote.token as object),
      contractAddress: "0xEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE",
    };
    expect(quoteSchema("p").parse({ ...quote, token }).token.contractAddress).toBe("0x" + "e".repeat(40));
  });

  it("unknown fields survive at every level", () => {
    const q = quoteSchema("p").parse({
      ...quote,
      newField: { a: 1 },
      token: { ...(quote.token as object), extra: 2 },
    });
    expect(q.newField).toEqual({ a: 1 });
    expect(q.token.extra).toBe(2);
  });

  it("statuses are read case-insensitively but unknown ones are refused", () => {
    expect(quoteSchema("p").parse({ ...quote, status: "ACTIVE" }).status).toBe("active");
    expect(quoteSchema("p").safeParse({ ...quote, status: "sleeping" }).success).toBe(false);
  });

  it("a withdrawal with a numeric chain id and object metadata", () => {
    const w = WithdrawalSchema.parse({
      ...fixture<object>("openapi-withdrawal.json"),
      chainId: 8453,
      customMetadata: { cartId: "abc" },
      updatedAt: undefined,
      receipt: undefined,
    });
    expect(w).toMatchObject({
      chainId: "eip155:8453",
      customMetadata: '{"cartId":"abc"}',
      updatedAt: null,
      receipt: null,
    });
  });

  it("wallet balances as a bare array; a page without pagination gets it derived", () => {
    const balances = fixture<{ balances: unknown[] }>("openapi-wallet-balances.json").balances;
    expect(WalletBalancesSchema.parse(balances)).toHaveLength(2);
    const page = PaymentPageSchema.parse({ data: [fixture("openapi-payment-completed.json")] });
    expect(page.pagination).toEqual({
      total: 1,
      limit: 1,
      offset: 0,
      hasMore: false,
      totalPages: 1,
      currentPage: 1,
    });
  });
});
