// Every SpacePay route: the exact request the client sends (method, path, query, credential header,
// body) and the result it parses from an OpenAPI-shaped answer.
import { describe, expect, it } from "vitest";
import { SpacePayClient } from "../../src/spacepay/client.js";
import { MissingCredentialError, ValidationError } from "../../src/spacepay/errors.js";
import { VERSION } from "../../src/version.js";
import type { RecordedRequest } from "../helpers/loopback.js";
import { json, replies, startLoopback } from "../helpers/loopback.js";
import {
  BEARER_TOKEN,
  CREDENTIAL_HEADERS,
  MERCHANT_ID,
  PAYMENT_SECRET,
  SECRET_KEY,
  fixture,
  harness,
  type Harness,
} from "./harness.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PAY = "0b6f3c52-8f7e-4d0a-9a3e-2d1c5e4f6a70";

let h: Harness | undefined;

async function answering(status: number, body: unknown, headers: Record<string, string> = {}) {
  h = await harness(replies(json(status, body, headers)));
  return h;
}

function only(): RecordedRequest {
  expect(h!.server.requests).toHaveLength(1);
  return h!.server.requests[0]!;
}

/** Exactly one of the three credential headers is present, with the right value. */
function expectCredential(
  req: RecordedRequest,
  header: (typeof CREDENTIAL_HEADERS)[number] | null,
  value?: string,
) {
  for (const name of CREDENTIAL_HEADERS) {
    if (name === header) expect(req.headers[name]).toBe(value);
    else expect(req.headers[name]).toBeUndefined();
  }
}

function expectCommonHeaders(req: RecordedRequest) {
  expect(req.headers.accept).toBe("application/json");
  expect(req.headers["user-agent"]).toBe(`spacepay-mcp/${VERSION}`);
  if (req.method === "POST") expect(req.headers["content-type"]).toBe("application/json");
  else expect(req.headers["content-type"]).toBeUndefined();
}

describe("merchant-key payment routes", () => {
  it("createPayment sends the OpenAPI body with amount, USD, a JSON-string customMetadata and a UUID key", async () => {
    await answering(201, fixture("openapi-create-payment-response.json"), { "x-request-id": "req_create_1" });
    const res = await h!.client.createPayment({
      amountInCents: 1250,
      orderId: "order_789",
      redirectUrl: "https://merchant.example.com/done",
      customMetadata: { cartId: "abc123", promo: "SUMMER24" },
    });
    const req = only();
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/external/secretkey-auth/payments");
    expect(req.query).toEqual({});
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expectCommonHeaders(req);
    expect(req.json).toEqual({
      amount: 1250,
      currency: "USD",
      orderId: "order_789",
      redirectUrl: "https://merchant.example.com/done",
      customMetadata: '{"cartId":"abc123","promo":"SUMMER24"}',
    });
    expect(req.headers["idempotency-key"]).toMatch(UUID);

    expect(res.meta).toEqual({
      status: 201,
      requestId: "req_create_1",
      idempotencyKey: req.headers["idempotency-key"],
      replayed: false,
      attempts: 1,
    });
    expect(res.data.paymentId).toBe(PAY);
    expect(res.data.secret).toBe("ps_live_abcdef0123456789");
    expect(res.data.payment.amountMerchantNetCents).toBe(1219);
    expect(res.data.payment.quotes[0]).toMatchObject({
      chainId: "eip155:84532",
      depositAddress: "0x5c7d1e4b2a9f3c6d8e0a1b2c3d4e5f6a7b8c9d0e",
      rateUsdAsset: "0.99985",
      expectedAmountAsset: "12850000",
    });
  });

  it("createPayment for a deposit sends type, customerRefId and a string customMetadata as given, no amount", async () => {
    await answering(201, fixture("openapi-create-payment-response.json"));
    await h!.client.createPayment(
      { type: "deposit", orderId: "dep_1", customerRefId: "customer_42", customMetadata: '{"a":1}' },
      { idempotencyKey: "caller-key-1" },
    );
    const req = only();
    expect(req.json).toEqual({
      type: "deposit",
      currency: "USD",
      orderId: "dep_1",
      customerRefId: "customer_42",
      customMetadata: '{"a":1}',
    });
    expect(req.headers["idempotency-key"]).toBe("caller-key-1");
  });

  it("two createPayment calls get two different idempotency keys", async () => {
    await answering(201, fixture("openapi-create-payment-response.json"));
    await h!.client.createPayment({ amountInCents: 300, orderId: "a" });
    await h!.client.createPayment({ amountInCents: 300, orderId: "a" });
    const [a, b] = h!.server.requests;
    expect(a!.headers["idempotency-key"]).toMatch(UUID);
    expect(b!.headers["idempotency-key"]).toMatch(UUID);
    expect(a!.headers["idempotency-key"]).not.toBe(b!.headers["idempotency-key"]);
  });

  it("listPayments sends every filter as a query parameter and parses the page", async () => {
    await answering(200, fixture("openapi-payment-page.json"));
    const res = await h!.client.listPayments({
      type: "payment",
      status: "completed",
      search: "0xabc",
      sortBy: "amountInCents",
      sortOrder: "ASC",
      limit: 50,
      offset: 100,
    });
    const req = only();
    expect(req.method).toBe("GET");
    expect(req.path).toBe("/v1/external/secretkey-auth/payments");
    expect(req.query).toEqual({
      type: "payment",
      status: "completed",
      search: "0xabc",
      sortBy: "amountInCents",
      sortOrder: "ASC",
      limit: "50",
      offset: "100",
    });
    expect(req.body).toBe("");
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expectCommonHeaders(req);
    expect(req.headers["idempotency-key"]).toBeUndefined();
    expect(res.data.data.map((p) => p.status)).toEqual(["pending", "completed"]);
    expect(res.data.pagination).toEqual({
      total: 2,
      limit: 100,
      offset: 0,
      hasMore: false,
      totalPages: 1,
      currentPage: 1,
    });
  });

  it("listPayments without filters sends no query string", async () => {
    await answering(200, fixture("openapi-payment-page.json"));
    await h!.client.listPayments({ status: undefined });
    expect(only().query).toEqual({});
  });

  it("getPayment URL-encodes the id and parses the receipt", async () => {
    await answering(200, fixture("openapi-payment-completed.json"));
    const res = await h!.client.getPayment("pay/with space?x");
    const req = only();
    expect(req.path).toBe("/v1/external/secretkey-auth/payments/pay%2Fwith%20space%3Fx");
    expect(req.query).toEqual({});
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expect(res.data.status).toBe("completed");
    expect(res.data.receipt?.txHash).toBe(
      "0xda3be87732110de6c1354c83770aae630ede9ac308d9f7b399ecfba23d923384",
    );
  });
});

describe("payment-secret routes", () => {
  it("getPaymentBySecret sends only the payment secret", async () => {
    await answering(200, fixture("openapi-payment-by-secret.json"));
    const res = await h!.client.getPaymentBySecret(PAY, PAYMENT_SECRET);
    const req = only();
    expect(req.method).toBe("GET");
    expect(req.path).toBe(`/v1/external/payment-secret-auth/payments/${PAY}`);
    expectCredential(req, "x-spacepay-payment-secret", PAYMENT_SECRET);
    expectCommonHeaders(req);
    expect(res.data.id).toBe(PAY);
    expect(res.data.amountMerchantNetCents).toBeNull();
  });

  it("getPaymentStatus polls /status", async () => {
    await answering(200, fixture("openapi-payment-status.json"));
    const res = await h!.client.getPaymentStatus(PAY, PAYMENT_SECRET);
    const req = only();
    expect(req.path).toBe(`/v1/external/payment-secret-auth/payments/${PAY}/status`);
    expectCredential(req, "x-spacepay-payment-secret", PAYMENT_SECRET);
    expect(res.data).toEqual({ id: PAY, status: "processing" });
  });

  it("listQuotes reads the bare array of quotes", async () => {
    await answering(200, [fixture("openapi-quote.json")]);
    const res = await h!.client.listQuotes(PAY, PAYMENT_SECRET);
    const req = only();
    expect(req.method).toBe("GET");
    expect(req.path).toBe(`/v1/external/payment-secret-auth/payments/${PAY}/quotes`);
    expectCredential(req, "x-spacepay-payment-secret", PAYMENT_SECRET);
    expect(res.data).toHaveLength(1);
    expect(res.data[0]).toMatchObject({
      paymentId: PAY,
      chainId: "eip155:84532",
      rateUsdAsset: "3742.053539",
    });
  });

  it("createQuote sends a CAIP-2 chainId and an idempotency key", async () => {
    await answering(201, fixture("openapi-quote.json"));
    const res = await h!.client.createQuote(PAY, PAYMENT_SECRET, {
      chainId: 84532,
      contractAddress: "0x00fc61d7de7655db3984db634e3489130ebeacf6",
    });
    const req = only();
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/v1/external/payment-secret-auth/payments/${PAY}/quotes`);
    expectCredential(req, "x-spacepay-payment-secret", PAYMENT_SECRET);
    expectCommonHeaders(req);
    expect(req.json).toEqual({
      chainId: "eip155:84532",
      contractAddress: "0x00fc61d7de7655db3984db634e3489130ebeacf6",
    });
    expect(req.headers["idempotency-key"]).toMatch(UUID);
    expect(res.meta.idempotencyKey).toBe(req.headers["idempotency-key"]);
    expect(res.data.token.symbol).toBe("ETH");
    expect(res.data.depositAddress).toBe("0x5c7d1e4b2a9f3c6d8e0a1b2c3d4e5f6a7b8c9d0e");
  });

  it("createQuote with no input sends an empty JSON object (the default quote)", async () => {
    await answering(201, fixture("openapi-quote.json"));
    await h!.client.createQuote(PAY, PAYMENT_SECRET);
    expect(only().body).toBe("{}");
  });

  it("refreshStatus sends the optional hints with a CAIP-2 chainId and no idempotency key", async () => {
    await answering(200, { id: PAY, status: "completed" });
    const res = await h!.client.refreshStatus(PAY, PAYMENT_SECRET, {
      transactionHash: "0xda3b",
      chainId: "base-sepolia",
    });
    const req = only();
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/v1/external/payment-secret-auth/payments/${PAY}/refresh-status`);
    expectCredential(req, "x-spacepay-payment-secret", PAYMENT_SECRET);
    expect(req.json).toEqual({ transactionHash: "0xda3b", chainId: "eip155:84532" });
    expect(req.headers["idempotency-key"]).toBeUndefined();
    expect(res.data.status).toBe("completed");
    expect(res.meta.idempotencyKey).toBeNull();
  });

  it("a blank payment secret fails before any request", async () => {
    h = await harness();
    await expect(h.client.getPaymentStatus(PAY, "  ")).rejects.toBeInstanceOf(MissingCredentialError);
    expect(h.server.requests).toHaveLength(0);
  });
});

describe("withdrawal and wallet routes", () => {
  it("createWithdrawal sends amountInCents, a CAIP-2 chainId, USD and an idempotency key", async () => {
    await answering(201, fixture("openapi-withdrawal.json"));
    const res = await h!.client.createWithdrawal(
      {
        amountInCents: 1000,
        chainId: 84532,
        recipientAddress: "0x31adfE243828BB73e5186f77A66de459a4f568a8",
        orderId: "Order_1234567890",
        customMetadata: { cartId: "abc123" },
      },
      { idempotencyKey: "wd-key-1" },
    );
    const req = only();
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/external/secretkey-auth/withdrawals");
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expectCommonHeaders(req);
    expect(req.headers["idempotency-key"]).toBe("wd-key-1");
    expect(req.json).toEqual({
      amountInCents: 1000,
      chainId: "eip155:84532",
      recipientAddress: "0x31adfE243828BB73e5186f77A66de459a4f568a8",
      orderId: "Order_1234567890",
      customMetadata: '{"cartId":"abc123"}',
      currency: "USD",
    });
    expect(res.meta.idempotencyKey).toBe("wd-key-1");
    expect(res.data).toMatchObject({ status: "completed", chainId: "eip155:84532", amountInCents: 1000 });
    expect(res.data.receipt).toMatchObject({
      txHash: "0x5f1e0c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7",
      chainId: "eip155:84532",
      senderAddress: "0x1111111111111111111111111111111111111111",
      blockNumber: 654321,
      settledAmountUsd: "10.00",
    });
  });

  it("an unreadable chain reference is a ValidationError and nothing is sent", async () => {
    h = await harness();
    const err = await h.client
      .createWithdrawal({ amountInCents: 1000, chainId: "atlantis", recipientAddress: "0x1" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).param).toBe("chainId");
    expect((err as Error).message).toMatch(/eip155:84532/);
    expect(h.server.requests).toHaveLength(0);
  });

  it("listWithdrawals sends status, limit and offset", async () => {
    await answering(200, fixture("openapi-withdrawal-page.json"));
    const res = await h!.client.listWithdrawals({ status: "pending", limit: 2, offset: 0 });
    const req = only();
    expect(req.method).toBe("GET");
    expect(req.path).toBe("/v1/external/secretkey-auth/withdrawals");
    expect(req.query).toEqual({ status: "pending", limit: "2", offset: "0" });
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expect(res.data.data.map((w) => w.status)).toEqual(["pending", "completed"]);
    expect(res.data.pagination.hasMore).toBe(true);
  });

  it("getWithdrawal reads one withdrawal by encoded id", async () => {
    await answering(200, fixture("openapi-withdrawal.json"));
    const res = await h!.client.getWithdrawal("9e8d7c6b-5a49-4382-b1c0-d9e8f7a6b5c4");
    const req = only();
    expect(req.path).toBe("/v1/external/secretkey-auth/withdrawals/9e8d7c6b-5a49-4382-b1c0-d9e8f7a6b5c4");
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expect(res.data.id).toBe("9e8d7c6b-5a49-4382-b1c0-d9e8f7a6b5c4");
  });

  it("getWalletBalances unwraps {balances}", async () => {
    await answering(200, fixture("openapi-wallet-balances.json"));
    const res = await h!.client.getWalletBalances();
    const req = only();
    expect(req.path).toBe("/v1/external/secretkey-auth/wallet/balances");
    expectCredential(req, "x-spacepay-secret-key", SECRET_KEY);
    expect(res.data).toHaveLength(2);
    expect(res.data[0]).toMatchObject({
      chainId: "eip155:84532",
      amountRaw: "1500000",
      amountFormatted: "1.5",
    });
    expect(res.data[1]).toMatchObject({ chainId: "eip155:11155111", amountRaw: null, amountFormatted: null });
  });

  it("getWithdrawalConfig uses the bearer token and the merchant id, and no merchant key", async () => {
    await answering(200, fixture("openapi-withdrawal-config.json"));
    const res = await h!.client.getWithdrawalConfig();
    const req = only();
    expect(req.method).toBe("GET");
    expect(req.path).toBe(`/v1/merchants/${MERCHANT_ID}/withdrawals/config`);
    expectCredential(req, "authorization", `Bearer ${BEARER_TOKEN}`);
    expect(res.data.backendWallet).toBe("0x2222222222222222222222222222222222222222");
    expect(res.data.limits).toEqual({ minAmountInCents: 100, maxAmountInCents: 100000000 });
    expect(res.data.supported[0]?.symbol).toBe("USDC");
  });
});

describe("public registry routes", () => {
  it("listChains sends no credential at all", async () => {
    await answering(200, fixture("openapi-chain-page.json"));
    const res = await h!.client.listChains({ limit: 10 });
    const req = only();
    expect(req.path).toBe("/v1/external/chains");
    expect(req.query).toEqual({ limit: "10" });
    expectCredential(req, null);
    expectCommonHeaders(req);
    expect(res.data.data.map((c) => c.chainId)).toEqual(["eip155:84532", "eip155:11155111"]);
  });

  it("getChain accepts a name and requests the encoded CAIP-2 id", async () => {
    await answering(200, fixture("openapi-chain.json"));
    const res = await h!.client.getChain("Base-Sepolia");
    const req = only();
    expect(req.path).toBe("/v1/external/chains/eip155%3A84532");
    expectCredential(req, null);
    expect(res.data).toMatchObject({ chainId: "eip155:84532", name: "Base Sepolia", isTestnet: true });
  });

  it("listTokens sends filters with a CAIP-2 chainId", async () => {
    await answering(200, fixture("openapi-token-page.json"));
    const res = await h!.client.listTokens({ chainId: 84532, symbol: "USDC", assetType: "erc20" });
    const req = only();
    expect(req.path).toBe("/v1/external/tokens");
    expect(req.query).toEqual({ chainId: "eip155:84532", symbol: "USDC", assetType: "erc20" });
    expectCredential(req, null);
    expect(res.data.data.map((t) => t.symbol)).toEqual(["USDC", "ETH"]);
  });

  it("getToken reads one token", async () => {
    await answering(200, fixture("openapi-token.json"));
    const res = await h!.client.getToken("7b0c1f0e-5a44-4d8e-9a51-1c2f6b8e0a01");
    const req = only();
    expect(req.path).toBe("/v1/external/tokens/7b0c1f0e-5a44-4d8e-9a51-1c2f6b8e0a01");
    expectCredential(req, null);
    expect(res.data).toMatchObject({ symbol: "USDC", decimals: 6, chain: { chainId: "eip155:84532" } });
  });
});

describe("base URL and credentials", () => {
  it("keeps a base-URL path prefix", async () => {
    const server = await startLoopback(replies(json(200, fixture("openapi-chain.json"))));
    const client = new SpacePayClient({
      baseUrl: `${server.url}/proxy/spacepay/`,
      timeoutMs: 2000,
      maxRetries: 0,
    });
    try {
      await client.getChain(8453);
      expect(server.requests[0]?.path).toBe("/proxy/spacepay/v1/external/chains/eip155%3A8453");
    } finally {
      await server.close();
      await client.close();
    }
  });

  it("merchant-key routes without a key fail before any request, naming SPACEPAY_SECRET_KEY", async () => {
    h = await harness(undefined, { secretKey: null });
    for (const call of [
      () => h!.client.createPayment({ amountInCents: 300, orderId: "x" }),
      () => h!.client.listWithdrawals(),
      () => h!.client.getWalletBalances(),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MissingCredentialError);
      expect((err as Error).message).toContain("SPACEPAY_SECRET_KEY");
    }
    expect(h.server.requests).toHaveLength(0);
  });

  it.each([
    ["no bearer token", { bearerToken: null }],
    ["no merchant id", { merchantId: null }],
  ])(
    "withdrawal config with %s names SPACEPAY_BEARER_TOKEN and SPACEPAY_MERCHANT_ID",
    async (_label, opts) => {
      h = await harness(undefined, opts);
      const err = await h.client.getWithdrawalConfig().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MissingCredentialError);
      expect((err as Error).message).toContain("SPACEPAY_BEARER_TOKEN");
      expect((err as Error).message).toContain("SPACEPAY_MERCHANT_ID");
      expect(h.server.requests).toHaveLength(0);
    },
  );

  it("registry routes work with no credentials configured", async () => {
    h = await harness(replies(json(200, fixture("openapi-chain-page.json"))), {
      secretKey: null,
      bearerToken: null,
      merchantId: null,
    });
    await h.client.listChains();
    expectCredential(only(), null);
  });
});
