// Contract tests: every route's success and error responses validate against the published OpenAPI
// schemas (closed, so extra fields fail) or the documented error envelope.
import { beforeAll, describe, expect, it } from "vitest";
import { loadContract, type Contract } from "./openapi.js";
import { api, BEARER, createPayment, MERCHANT_ID, P, PS, RECIPIENT, sim, W, type Res } from "./helpers.js";
import { BASE_SEPOLIA } from "../helpers/mcp-harness.js";

let contract: Contract;
const covered = new Set<string>();

beforeAll(() => {
  contract = loadContract();
});

/** Validates a response against the operation's schema (2xx) or the error envelope (4xx/5xx). */
function check(method: string, template: string, res: Res, expectedStatus: number): void {
  expect(res.status, res.text).toBe(expectedStatus);
  expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]+$/);
  const errors =
    res.status >= 400
      ? contract.checkError(res.body)
      : contract.checkResponse(method, template, res.status, res.body);
  expect(errors, `${method} ${template} ${res.status}: ${res.text.slice(0, 400)}`).toEqual([]);
  if (res.status < 400) covered.add(`${method} ${template}`);
}

describe("secret-key payment routes", () => {
  it("create: 201 CreatePaymentResponseDto for payments and deposits; 400, 401, 409 envelopes", async () => {
    const s = await sim();
    const c = api(s);
    const t = "/v1/external/secretkey-auth/payments";
    check(
      "POST",
      t,
      await c.post(P, {
        amount: 250,
        currency: "USD",
        orderId: "o-1",
        redirectUrl: "https://m.example/ok",
        customMetadata: '{"a":1}',
      }),
      201,
    );
    check(
      "POST",
      t,
      await c.post(P, { type: "deposit", currency: "USD", orderId: "o-2", customerRefId: "cust-1" }),
      201,
    );
    check("POST", t, await c.post(P, { amount: 100, currency: "USD", orderId: "o-3" }), 400);
    check(
      "POST",
      t,
      await c.post(P, { amount: 1000, currency: "USD", orderId: "o-4" }, { auth: { key: "sk_test_wrong" } }),
      401,
    );
    await c.post(P, { amount: 1000, currency: "USD", orderId: "o-5" }, { idempotencyKey: "k1" });
    check(
      "POST",
      t,
      await c.post(P, { amount: 2000, currency: "USD", orderId: "o-5" }, { idempotencyKey: "k1" }),
      409,
    );
  });

  it("list and get: every status and type, with receipts, match MerchantPaymentDto", async () => {
    const s = await sim({ samplePayments: 60 });
    const c = api(s);
    const list = await c.get(`${P}?limit=1000`);
    check("GET", P, list, 200);
    const data = (
      list.body as { data: Array<{ id: string; status: string; type: string; receipt: unknown }> }
    ).data;
    expect(new Set(data.map((p) => p.status))).toEqual(
      new Set(["pending", "processing", "completed", "failed", "expired", "cancelled"]),
    );
    expect(new Set(data.map((p) => p.type))).toEqual(new Set(["payment", "deposit"]));
    expect(data.some((p) => p.receipt !== null)).toBe(true);
    const withReceipt = data.find((p) => p.receipt !== null) as { id: string };
    check("GET", `${P}/{paymentId}`, await c.get(`${P}/${withReceipt.id}`), 200);
    check("GET", `${P}/{paymentId}`, await c.get(`${P}/00000000-0000-4000-8000-000000000000`), 404);
    check("GET", `${P}/{paymentId}`, await c.get(`${P}/${withReceipt.id}`, { auth: { key: null } }), 401);
    check("GET", P, await c.get(`${P}?limit=0`), 400);
    check("GET", P, await c.get(P, { auth: { key: "nope" } }), 401);
  });

  it("a payment paid by the simulated customer carries an OpenAPI receipt on both auth schemes", async () => {
    const s = await sim();
    const { id, secret } = await createPayment(s);
    await s.control.pay(id, { outcome: "exact", wait: true });
    check("GET", `${P}/{paymentId}`, await api(s).get(`${P}/${id}`), 200);
    check(
      "GET",
      "/v1/external/payment-secret-auth/payments/{paymentId}",
      await api(s).get(`${PS}/${id}`, { auth: { secret } }),
      200,
    );
  });
});

describe("payment-secret routes", () => {
  const base = "/v1/external/payment-secret-auth/payments/{paymentId}";

  it("payment, status, quotes and refresh-status validate; PaymentDto has no amountMerchantNetCents", async () => {
    const s = await sim();
    const c = api(s);
    const { id, secret } = await createPayment(s);
    const auth = { secret };
    const got = await c.get(`${PS}/${id}`, { auth });
    check("GET", base, got, 200);
    expect(got.body).not.toHaveProperty("amountMerchantNetCents");
    check("GET", `${base}/status`, await c.get(`${PS}/${id}/status`, { auth }), 200);
    check("GET", `${base}/quotes`, await c.get(`${PS}/${id}/quotes`, { auth }), 200);
    check(
      "POST",
      `${base}/quotes`,
      await c.post(`${PS}/${id}/quotes`, { chainId: "eip155:11155111" }, { auth }),
      201,
    );
    check("POST", `${base}/quotes`, await c.post(`${PS}/${id}/quotes`, undefined, { auth }), 201);
    check("POST", `${base}/refresh-status`, await c.post(`${PS}/${id}/refresh-status`, {}, { auth }), 200);
  });

  it("errors: 401 without or with a wrong secret, 404 for an unknown payment, 400 for a bad quote", async () => {
    const s = await sim();
    const c = api(s);
    const { id, secret } = await createPayment(s);
    const other = await createPayment(s, { orderId: "other" });
    check("GET", base, await c.get(`${PS}/${id}`, { auth: { secret: "ps_wrong" } }), 401);
    check("GET", base, await c.get(`${PS}/${id}`, { auth: { secret: other.secret } }), 401);
    check("GET", `${base}/status`, await c.get(`${PS}/${id}/status`, { auth: { key: null } }), 401);
    check("GET", base, await c.get(`${PS}/00000000-0000-4000-8000-000000000000`, { auth: { secret } }), 404);
    check(
      "POST",
      `${base}/quotes`,
      await c.post(`${PS}/${id}/quotes`, { chainId: "eip155:999" }, { auth: { secret } }),
      400,
    );
    check(
      "POST",
      `${base}/refresh-status`,
      await c.post(`${PS}/${id}/refresh-status`, { chainId: 5 }, { auth: { secret } }),
      400,
    );
  });

  it("a deposit quote with forceDepositAmount validates", async () => {
    const s = await sim();
    const { id, secret } = await createPayment(s, { type: "deposit", amount: undefined });
    const res = await api(s).post(`${PS}/${id}/quotes`, { forceDepositAmount: 1000 }, { auth: { secret } });
    check("POST", `${base}/quotes`, res, 201);
  });
});

describe("withdrawals, balances and config", () => {
  it("create, list (with receipts and errors) and get validate; 400, 401, 404 and 409 envelopes", async () => {
    const s = await sim();
    const c = api(s);
    const body = {
      amountInCents: 1000,
      chainId: BASE_SEPOLIA,
      recipientAddress: RECIPIENT,
      orderId: "w-1",
      currency: "USD",
    };
    const created = await c.post(W, body);
    check("POST", W, created, 201);
    const failed = await c.post(W, { ...body, orderId: "w-2" });
    const id = (created.body as { id: string }).id;
    await s.control.completeWithdrawal(id, { wait: true });
    await s.control.failWithdrawal((failed.body as { id: string }).id, {
      wait: true,
      errorMessage: "RPC down",
    });
    check("GET", W, await c.get(W), 200);
    check("GET", W, await c.get(`${W}?status=completed&limit=1&offset=0`), 200);
    check("GET", `${W}/{withdrawalId}`, await c.get(`${W}/${id}`), 200);
    check("GET", `${W}/{withdrawalId}`, await c.get(`${W}/00000000-0000-4000-8000-000000000000`), 404);
    check("POST", W, await c.post(W, { ...body, amountInCents: 99 }), 400);
    check("POST", W, await c.post(W, body, { auth: { key: "bad" } }), 401);
    await c.post(W, body, { idempotencyKey: "w" });
    check("POST", W, await c.post(W, { ...body, amountInCents: 2000 }, { idempotencyKey: "w" }), 409);
    check("GET", W, await c.get(`${W}?status=done`), 400);
  });

  it("wallet balances validate, and answer 400 when no payout wallet is configured", async () => {
    const b = "/v1/external/secretkey-auth/wallet/balances";
    check("GET", b, await api(await sim()).get(b), 200);
    check("GET", b, await api(await sim()).get(b, { auth: { key: "x" } }), 401);
    check("GET", b, await api(await sim({ payoutWallet: null })).get(b), 400);
  });

  it("withdrawal config validates as WithdrawalConfigDto; 401 bad token, 403 other merchant", async () => {
    const s = await sim();
    const c = api(s);
    const path = `/v1/merchants/${MERCHANT_ID}/withdrawals/config`;
    const res = await c.get(path, { auth: { bearer: BEARER } });
    expect(res.status).toBe(200);
    expect(contract.checkSchema("WithdrawalConfigDto", res.body)).toEqual([]);
    expect(res.body).toMatchObject({ limits: { minAmountInCents: 100, maxAmountInCents: 100_000_000 } });
    check("GET", "config", await c.get(path, { auth: { bearer: "wrong" } }), 401);
    check("GET", "config", await c.get(path), 401);
    check(
      "GET",
      "config",
      await c.get(`/v1/merchants/00000000-0000-4000-8000-000000000000/withdrawals/config`, {
        auth: { bearer: BEARER },
      }),
      403,
    );
  });
});

describe("registry", () => {
  it("chains and tokens, lists and single items, validate; unknown ids are 404", async () => {
    const c = api(await sim());
    const none = { auth: { key: null } };
    check("GET", "/v1/external/chains", await c.get("/v1/external/chains", none), 200);
    check("GET", "/v1/external/chains/{chainId}", await c.get("/v1/external/chains/eip155:84532", none), 200);
    check(
      "GET",
      "/v1/external/chains/{chainId}",
      await c.get("/v1/external/chains/eip155:424242", none),
      404,
    );
    const tokens = await c.get("/v1/external/tokens?chainId=eip155:84532&tokenType=stablecoin", none);
    check("GET", "/v1/external/tokens", tokens, 200);
    const first = (tokens.body as { data: Array<{ id: string }> }).data[0] as { id: string };
    check("GET", "/v1/external/tokens/{tokenId}", await c.get(`/v1/external/tokens/${first.id}`, none), 200);
    check("GET", "/v1/external/tokens/{tokenId}", await c.get("/v1/external/tokens/nope", none), 404);
    check("GET", "/v1/external/tokens", await c.get("/v1/external/tokens?assetType=nft", none), 400);
  });
});

describe("coverage", () => {
  it("every operation in the OpenAPI file was exercised with a valid success response", () => {
    expect(contract.operations().filter((op) => !covered.has(op))).toEqual([]);
  });
});
