// Payment semantics: validation naming `param`, idempotency, list filters/search/sort/pagination,
// quotes (exact BigInt pricing, default token, refusal once not pending) and lazy expiry.
import { describe, expect, it } from "vitest";
import type {
  WireCreatePaymentResponse,
  WireMerchantPayment,
  WirePage,
  WireQuote,
} from "../../src/spacepay/wire.js";

import { api, BASE_USDC, createPayment, P, PS, RECIPIENT, sim, W } from "./helpers.js";
import { BASE_SEPOLIA } from "../helpers/mcp-harness.js";

type ErrorBody = { error: { type: string; code: string; param?: string; message: string } };
const ok = { amount: 1000, currency: "USD", orderId: "o" };

/** A 400 invalid_request_error naming `param`. */
function expectInvalid(res: { status: number; body: unknown }, param: string): void {
  expect(res.status).toBe(400);
  expect((res.body as ErrorBody).error).toMatchObject({ type: "invalid_request_error", param });
}

describe("validation", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["amount below the documented 250 minimum", { ...ok, amount: 249 }, "amount"],
    ["amount above the maximum", { ...ok, amount: 100_000_001 }, "amount"],
    ["amount not an integer", { ...ok, amount: 10.5 }, "amount"],
    ["amount missing for a payment", { currency: "USD", orderId: "o" }, "amount"],
    ["currency missing", { amount: 1000, orderId: "o" }, "currency"],
    ["currency not USD", { ...ok, currency: "EUR" }, "currency"],
    ["orderId missing", { amount: 1000, currency: "USD" }, "orderId"],
    ["orderId too long", { ...ok, orderId: "x".repeat(256) }, "orderId"],
    ["customerRefId too long", { ...ok, customerRefId: "x".repeat(256) }, "customerRefId"],
    ["redirectUrl not a URL", { ...ok, redirectUrl: "not a url" }, "redirectUrl"],
    ["redirectUrl too long", { ...ok, redirectUrl: `https://x.example/${"a".repeat(2040)}` }, "redirectUrl"],
    ["customMetadata too long", { ...ok, customMetadata: "x".repeat(2049) }, "customMetadata"],
    ["customMetadata not a string", { ...ok, customMetadata: { a: 1 } }, "customMetadata"],
    ["type not an enum value", { ...ok, type: "refund" }, "type"],
  ];
  it.each(cases)("create payment: %s → 400 naming %s", async (_name, body, param) => {
    expectInvalid(await api(await sim()).post(P, body), param);
  });

  it("accepts the edges: 250, 100000000, 255-char orderId, 2048-char metadata; deposits ignore amount", async () => {
    const c = api(await sim());
    for (const body of [
      { ...ok, amount: 250 },
      { ...ok, amount: 100_000_000 },
      { ...ok, orderId: "x".repeat(255), customMetadata: "y".repeat(2048) },
      { type: "deposit", currency: "USD", orderId: "d", amount: 5 },
    ]) {
      expect((await c.post(P, body)).status).toBe(201);
    }
  });

  it("malformed JSON is a 400 invalid_json; a non-object body is a 400 too", async () => {
    const c = api(await sim());
    const bad = await c.post(P, undefined, { raw: '{"amount": 1000,' });
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).error.code).toBe("invalid_json");
    expect((await c.post(P, [1, 2])).status).toBe(400);
  });

  const queryCases: Array<[string, string]> = [
    ["type=refund", "type"],
    ["status=paid", "status"],
    ["sortBy=orderId", "sortBy"],
    ["sortOrder=desc", "sortOrder"],
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=1.5", "limit"],
    ["offset=-1", "offset"],
    ["offset=abc", "offset"],
  ];
  it.each(queryCases)("list payments: %s → 400 naming %s", async (query, param) => {
    expectInvalid(await api(await sim()).get(`${P}?${query}`), param);
  });

  const withdrawalCases: Array<[string, Record<string, unknown>, string]> = [
    ["amount below 100", { amountInCents: 99 }, "amountInCents"],
    ["amount above the maximum", { amountInCents: 100_000_001 }, "amountInCents"],
    ["amount missing", { amountInCents: undefined }, "amountInCents"],
    ["chainId missing", { chainId: undefined }, "chainId"],
    ["chainId unknown", { chainId: "eip155:999999" }, "chainId"],
    ["chainId as a bare number", { chainId: 84532 }, "chainId"],
    ["recipientAddress missing", { recipientAddress: undefined }, "recipientAddress"],
    ["recipientAddress malformed", { recipientAddress: "0x123" }, "recipientAddress"],
    ["orderId too long", { orderId: "x".repeat(256) }, "orderId"],
    ["customMetadata too long", { customMetadata: "x".repeat(2049) }, "customMetadata"],
    ["currency not USD", { currency: "GBP" }, "currency"],
  ];
  it.each(withdrawalCases)("create withdrawal: %s → 400 naming %s", async (_name, patch, param) => {
    const body = { amountInCents: 1000, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT, ...patch };
    expectInvalid(await api(await sim()).post(W, body), param);
  });

  it("auth failures are 401 authentication_error/invalid_api_key with the documented envelope", async () => {
    const c = api(await sim());
    for (const res of [
      await c.get(P, { auth: { key: null } }),
      await c.get(W, { auth: { key: "sk_test_other" } }),
    ]) {
      expect(res.status).toBe(401);
      expect((res.body as ErrorBody).error).toMatchObject({
        type: "authentication_error",
        code: "invalid_api_key",
      });
    }
  });

  it("unknown routes are 404 and wrong methods 405, in the envelope", async () => {
    const c = api(await sim());
    expect((await c.get("/v1/nope")).status).toBe(404);
    expect((await c.delete(P)).status).toBe(405);
  });
});

describe("idempotency", () => {
  it("same key and body replays the first response with Idempotent-Replayed: true, creating one payment", async () => {
    const s = await sim();
    const c = api(s);
    const first = await c.post(P, ok, { idempotencyKey: "abc" });
    const again = await c.post(P, { orderId: "o", currency: "USD", amount: 1000 }, { idempotencyKey: "abc" });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(s.control.counts().payments).toBe(1);
  });

  it("same key with a different body is a 409 idempotency_error", async () => {
    const s = await sim();
    const c = api(s);
    await c.post(P, ok, { idempotencyKey: "abc" });
    const res = await c.post(P, { ...ok, amount: 2000 }, { idempotencyKey: "abc" });
    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error).toMatchObject({
      type: "idempotency_error",
      code: "idempotency_key_reused",
    });
    expect(s.control.counts().payments).toBe(1);
  });

  it("same key while the first request is still in flight is a 409", async () => {
    const s = await sim();
    const c = api(s);
    s.control.addFault({ kind: "latency", method: "POST", path: P, latencyMs: 300, count: 1 });
    const first = c.post(P, ok, { idempotencyKey: "slow" });
    await new Promise((r) => setTimeout(r, 100));
    const second = await c.post(P, ok, { idempotencyKey: "slow" });
    expect(second.status).toBe(409);
    expect((second.body as ErrorBody).error.code).toBe("idempotency_key_in_use");
    expect((await first).status).toBe(201);
    expect(s.control.counts().payments).toBe(1);
  });

  it("keys are scoped per route; withdrawals and quotes replay too; without a key every POST creates", async () => {
    const s = await sim();
    const c = api(s);
    const w = { amountInCents: 500, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT };
    const w1 = await c.post(W, w, { idempotencyKey: "same" });
    const w2 = await c.post(W, w, { idempotencyKey: "same" });
    expect(w2.text).toBe(w1.text);
    expect((await c.post(P, ok, { idempotencyKey: "same" })).status).toBe(201);
    const { id, secret } = await createPayment(s);
    const q1 = await c.post(`${PS}/${id}/quotes`, {}, { auth: { secret }, idempotencyKey: "q" });
    const q2 = await c.post(`${PS}/${id}/quotes`, {}, { auth: { secret }, idempotencyKey: "q" });
    expect(q2.headers.get("idempotent-replayed")).toBe("true");
    expect(q2.text).toBe(q1.text);
    await c.post(P, ok);
    await c.post(P, ok);
    expect(s.control.counts()).toMatchObject({ payments: 4, withdrawals: 1 });
  });
});

describe("list: filters, search, sort, pagination", () => {
  async function seeded() {
    const s = await sim({ samplePayments: 200, seed: 7 });
    return { s, c: api(s) };
  }
  const page = (body: unknown) => body as WirePage<WireMerchantPayment>;

  it("defaults: createdAt DESC, limit 100, offset 0, full pagination meta", async () => {
    const { c } = await seeded();
    const res = page((await c.get(P)).body);
    expect(res.data).toHaveLength(100);
    expect(res.pagination).toEqual({
      total: 200,
      limit: 100,
      offset: 0,
      hasMore: true,
      totalPages: 2,
      currentPage: 1,
    });
    const times = res.data.map((p) => Date.parse(p.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("pages tile the list exactly; the last page reports hasMore false", async () => {
    const { c } = await seeded();
    const all = page((await c.get(`${P}?limit=1000`)).body).data.map((p) => p.id);
    const pages: string[] = [];
    for (let offset = 0; offset < 200; offset += 30) {
      const res = page((await c.get(`${P}?limit=30&offset=${offset}`)).body);
      expect(res.pagination.currentPage).toBe(offset / 30 + 1);
      expect(res.pagination.hasMore).toBe(offset + 30 < 200);
      pages.push(...res.data.map((p) => p.id));
    }
    expect(pages).toEqual(all);
    expect(page((await c.get(`${P}?offset=500`)).body).data).toEqual([]);
  });

  it("sorts by createdAt ASC and by amountInCents both ways", async () => {
    const { c } = await seeded();
    const asc = page((await c.get(`${P}?sortOrder=ASC&limit=1000`)).body).data.map((p) =>
      Date.parse(p.createdAt),
    );
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const amountsDesc = page((await c.get(`${P}?sortBy=amountInCents&limit=1000`)).body).data.map(
      (p) => p.amountInCents,
    );
    expect(amountsDesc).toEqual([...amountsDesc].sort((a, b) => b - a));
    const amountsAsc = page((await c.get(`${P}?sortBy=amountInCents&sortOrder=ASC&limit=50&offset=10`)).body);
    const amounts = amountsAsc.data.map((p) => p.amountInCents);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
    expect(amountsAsc.pagination.total).toBe(200);
  });

  it("filters by type and status, with totals counting every match", async () => {
    const { c } = await seeded();
    const all = page((await c.get(`${P}?limit=1000`)).body).data;
    const res = page((await c.get(`${P}?type=deposit&status=completed&limit=5`)).body);
    const expected = all.filter((p) => p.type === "deposit" && p.status === "completed");
    expect(res.pagination.total).toBe(expected.length);
    expect(res.data.map((p) => p.id)).toEqual(expected.slice(0, 5).map((p) => p.id));
  });

  it("search matches id, deposit address, merchant name, tx hash and sender, partially and case-insensitively", async () => {
    const { c } = await seeded();
    const all = page((await c.get(`${P}?limit=1000`)).body).data;
    const paid = all.find((p) => p.receipt !== null) as WireMerchantPayment;
    const receipt = paid.receipt as NonNullable<WireMerchantPayment["receipt"]>;
    const address = (paid.quotes[0] as WireQuote).depositAddress.address;
    const search = async (q: string) =>
      page((await c.get(`${P}?search=${encodeURIComponent(q)}&limit=1000`)).body);
    expect((await search(paid.id.slice(4, 16).toUpperCase())).data.map((p) => p.id)).toEqual([paid.id]);
    expect((await search(address.slice(2, 30))).data.map((p) => p.id)).toContain(paid.id);
    expect(
      (await search((receipt.txHash as string).slice(10, 40).toUpperCase())).data.map((p) => p.id),
    ).toEqual([paid.id]);
    expect((await search((receipt.txSenderAddress as string).slice(3, 35))).data.map((p) => p.id)).toContain(
      paid.id,
    );
    expect((await search("simulator merch")).pagination.total).toBe(200);
    expect((await search("zzz-no-match")).pagination.total).toBe(0);
  });

  it("search, filter and sort combine", async () => {
    const { c } = await seeded();
    const res = page(
      (await c.get(`${P}?search=SIMULATOR&status=expired&sortBy=amountInCents&sortOrder=ASC`)).body,
    );
    expect(res.data.every((p) => p.status === "expired")).toBe(true);
    const amounts = res.data.map((p) => p.amountInCents);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
  });

  it("withdrawals list filters by status and paginates newest first", async () => {
    const s = await sim();
    const c = api(s);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      s.control.advanceClock(1000);
      const res = await c.post(W, {
        amountInCents: 100 + i,
        chainId: BASE_SEPOLIA,
        recipientAddress: RECIPIENT,
      });
      ids.push((res.body as { id: string }).id);
    }
    await s.control.completeWithdrawal(ids[1] as string, { wait: true });
    const list = (await c.get(`${W}?limit=2&offset=1`)).body as WirePage<{ id: string }>;
    expect(list.data.map((w) => w.id)).toEqual([ids[3], ids[2]]);
    expect(list.pagination).toMatchObject({ total: 5, hasMore: true, totalPages: 3, currentPage: 1 });
    const done = (await c.get(`${W}?status=completed`)).body as WirePage<{ id: string }>;
    expect(done.data.map((w) => w.id)).toEqual([ids[1]]);
  });
});

describe("quotes", () => {
  it("the default quote is USDC on Base Sepolia with an exact amount, a 10-minute expiry and amountDueCents", async () => {
    const s = await sim();
    const { id, secret, body } = await createPayment(s, { amount: 1234 });
    const initial = body.payment.quotes[0] as WireQuote;
    expect(initial.token.contractAddress).toBe(BASE_USDC);
    const res = await api(s).post(`${PS}/${id}/quotes`, undefined, { auth: { secret } });
    const q = res.body as WireQuote;
    expect(q).toMatchObject({
      chainId: BASE_SEPOLIA,
      expectedAmountAsset: "12340000",
      rateUsdAsset: 1,
      amountDueCents: 1234,
    });
    expect(q.token).toMatchObject({
      symbol: "USDC",
      decimals: 6,
      chain: { chainId: BASE_SEPOLIA, isTestnet: true },
    });
    expect(q.depositAddress).toMatchObject({ type: "EVM", paymentId: id });
    expect(Date.parse(q.expiresAt) - Date.parse(q.createdAt)).toBe(10 * 60_000);
    expect(q.depositAddress.address).toMatch(/^0x[0-9a-f]{40}$/);
  });

  it("prices ETH at $3,000 exactly in wei (rounded up), by chain and native contract in either spelling", async () => {
    const s = await sim();
    const { id, secret } = await createPayment(s, { amount: 1000 });
    const c = api(s);
    for (const contractAddress of [
      "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
      "0x0000000000000000000000000000000000000000",
    ]) {
      const q = (
        await c.post(
          `${PS}/${id}/quotes`,
          { chainId: "eip155:11155111", contractAddress },
          { auth: { secret } },
        )
      ).body as WireQuote;
      // $10.00 / $3,000 = 1/300 ETH = 3333333333333333.33… wei → 3333333333333334
      expect(q).toMatchObject({
        expectedAmountAsset: "3333333333333334",
        rateUsdAsset: 3000,
        chainId: "eip155:11155111",
      });
      expect(q.token).toMatchObject({ symbol: "ETH", assetType: "native", decimals: 18 });
    }
    const active = (await c.get(`${PS}/${id}/quotes`, { auth: { secret } })).body as WireQuote[];
    // The second ETH quote replaced the first; the initial USDC quote is still active.
    expect(active.map((q) => q.token.symbol).sort()).toEqual(["ETH", "USDC"]);
  });

  it("USDT on Ethereum Sepolia by contract; unknown contract names contractAddress", async () => {
    const s = await sim();
    const { id, secret } = await createPayment(s, { amount: 999 });
    const c = api(s);
    const q = (
      await c.post(
        `${PS}/${id}/quotes`,
        { chainId: "eip155:11155111", contractAddress: "0xD14FCE5BC55861C3B71BDEA38D22590DF8666DBC" },
        { auth: { secret } },
      )
    ).body as WireQuote;
    expect(q).toMatchObject({ expectedAmountAsset: "9990000" });
    expect(q.token.symbol).toBe("USDT");
    const bad = await c.post(
      `${PS}/${id}/quotes`,
      { chainId: BASE_SEPOLIA, contractAddress: "0x1234" },
      { auth: { secret } },
    );
    expect((bad.body as ErrorBody).error.param).toBe("contractAddress");
  });

  it("forceDepositAmount is only for deposits", async () => {
    const s = await sim();
    const c = api(s);
    const pay = await createPayment(s);
    const res = await c.post(
      `${PS}/${pay.id}/quotes`,
      { forceDepositAmount: 500 },
      { auth: { secret: pay.secret } },
    );
    expectInvalid(res, "forceDepositAmount");
    const dep = await createPayment(s, { type: "deposit" });
    const q = await c.post(
      `${PS}/${dep.id}/quotes`,
      { forceDepositAmount: 500 },
      { auth: { secret: dep.secret } },
    );
    expect(q.body).toMatchObject({ expectedAmountAsset: "5000000", amountDueCents: 500 });
    const zero = await c.post(
      `${PS}/${dep.id}/quotes`,
      { forceDepositAmount: 0 },
      { auth: { secret: dep.secret } },
    );
    expect((zero.body as ErrorBody).error.param).toBe("forceDepositAmount");
  });

  it("quote creation is refused with 400 once the payment is not pending", async () => {
    const s = await sim();
    const { id, secret } = await createPayment(s);
    await s.control.pay(id, { wait: true });
    const res = await api(s).post(`${PS}/${id}/quotes`, {}, { auth: { secret } });
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error.code).toBe("payment_not_pending");
  });

  it("customerRefId reuses the customer's deposit wallet", async () => {
    const s = await sim();
    const a = await createPayment(s, { type: "deposit", customerRefId: "cust-9" });
    const b = await createPayment(s, { type: "deposit", customerRefId: "cust-9" });
    const c = await createPayment(s, { type: "deposit", customerRefId: "cust-10" });
    const quote = async (p: { id: string; secret: string }) =>
      ((await api(s).post(`${PS}/${p.id}/quotes`, {}, { auth: { secret: p.secret } })).body as WireQuote)
        .depositAddress;
    const [qa, qb, qc] = [await quote(a), await quote(b), await quote(c)];
    expect(qa.address).toBe(qb.address);
    expect(qa.address).not.toBe(qc.address);
  });
});

describe("creation response", () => {
  it("paymentUrl is the simulator's /pay/{id} without the secret; the secret is ps_ plus 32+ hex", async () => {
    const s = await sim();
    const res = await api(s).post(P, ok);
    const body = res.body as WireCreatePaymentResponse;
    expect(body.paymentUrl).toBe(`${s.url}/pay/${body.paymentId}`);
    expect(body.paymentUrl).not.toContain(body.secret);
    expect(body.secret).toMatch(/^ps_[0-9a-f]{32,}$/);
    expect(body.payment).toMatchObject({
      id: body.paymentId,
      status: "pending",
      amountInCents: 1000,
      amountMerchantNetCents: 990,
    });
    const page = await fetch(body.paymentUrl);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain(body.paymentId);
  });
});
