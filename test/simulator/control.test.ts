// The control API (in process and over HTTP): the documented test scenarios, the clock, withdrawal
// lifecycle, recorded requests with masked credentials, reset, counts and deterministic seeding.
import { describe, expect, it } from "vitest";
import type {
  WireMerchantPayment,
  WirePage,
  WireWalletBalances,
  WireWithdrawal,
} from "../../src/spacepay/wire.js";

import { api, BEARER, createPayment, MERCHANT_ID, P, PS, RECIPIENT, SECRET_KEY, sim, W } from "./helpers.js";
import { BASE_SEPOLIA } from "../helpers/mcp-harness.js";

const C = "/__simulator";

describe("documented test scenarios", () => {
  it.each([
    ["exact", "completed", "used"],
    ["over", "completed", "used"],
    ["under", "failed", "failed"],
  ] as const)("%s payment ends %s, with an OpenAPI receipt", async (outcome, status, quoteStatus) => {
    const s = await sim();
    const { id, secret } = await createPayment(s, { amount: 5000 });
    const p = await s.control.pay(id, {
      outcome,
      txHash: "0xabc123",
      sender: "0xSENDER0000000000000000000000000000000001",
    });
    expect(p.status).toBe(status);
    const receipt = p.receipt as NonNullable<WireMerchantPayment["receipt"]>;
    expect(receipt).toMatchObject({
      paymentId: id,
      txHash: "0xabc123",
      txSenderAddress: "0xsender0000000000000000000000000000000001",
    });
    expect(receipt.selectedQuote.status).toBe(quoteStatus);
    const sent = BigInt(receipt.settledAmountAsset);
    const expected = BigInt(receipt.selectedQuote.expectedAmountAsset);
    expect(
      outcome === "exact" ? sent === expected : outcome === "over" ? sent > expected : sent < expected,
    ).toBe(true);
    const polled = await api(s).get(`${PS}/${id}/status`, { auth: { secret } });
    expect(polled.body).toEqual({ id, status });
    if (status === "completed") {
      expect(p).toMatchObject({
        merchantFeeCents: 50,
        convenienceFeeCents: 0,
        swapFeeCents: 0,
        amountMerchantNetCents: 4950,
      });
    }
  });

  it("no payment: the payment expires once the clock passes the window (default 60 minutes)", async () => {
    const s = await sim();
    const { id, secret } = await createPayment(s);
    s.control.advanceClock({ minutes: 59 });
    expect(s.control.getPayment(id)?.status).toBe("pending");
    s.control.advanceClock({ minutes: 1 });
    const res = await api(s).get(`${PS}/${id}/status`, { auth: { secret } });
    expect(res.body).toEqual({ id, status: "expired" });
    expect((await api(s).get(`${PS}/${id}/quotes`, { auth: { secret } })).body).toEqual([]);
  });

  it("expiry honours expiryMinutes; quotes expire after 10 minutes while the payment stays pending", async () => {
    const s = await sim({ expiryMinutes: 15 });
    const { id, secret } = await createPayment(s);
    s.control.advanceClock(10 * 60_000);
    expect((await api(s).get(`${PS}/${id}/quotes`, { auth: { secret } })).body).toEqual([]);
    expect(s.control.getPayment(id)?.quotes[0]?.status).toBe("expired");
    s.control.advanceClock(5 * 60_000);
    expect(s.control.getPayment(id)?.status).toBe("expired");
  });

  it("with processingMs the payment is processing first, then final; wait resolves at the end", async () => {
    const s = await sim({ processingMs: 150 });
    const { id } = await createPayment(s);
    const during = await s.control.pay(id);
    expect(during.status).toBe("processing");
    expect(during.receipt).toBeNull();
    await new Promise((r) => setTimeout(r, 250));
    expect(s.control.getPayment(id)?.status).toBe("completed");
    const other = await createPayment(s, { orderId: "2" });
    expect((await s.control.pay(other.id, { outcome: "under", wait: true })).status).toBe("failed");
  });

  it("settleNow finishes processing at once", async () => {
    const s = await sim({ processingMs: 60_000 });
    const { id } = await createPayment(s);
    await s.control.pay(id);
    expect(s.control.settleNow()).toBe(1);
    expect(s.control.getPayment(id)?.status).toBe("completed");
  });

  it("pays with a chosen token, a deposit completes with the settled amount, and paying twice is refused", async () => {
    const s = await sim();
    const { id } = await createPayment(s, { amount: 300_000 });
    const p = await s.control.pay(id, {
      chainId: "eip155:11155111",
      contractAddress: "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
    });
    expect(p.receipt?.settledToken.symbol).toBe("ETH");
    expect(p.receipt?.settledAmountAsset).toBe("1000000000000000000");
    expect(p.receipt?.settledAmountUsd).toBe("3000.00");
    await expect(s.control.pay(id)).rejects.toMatchObject({ status: 409, code: "payment_not_pending" });
    const dep = await createPayment(s, { type: "deposit" });
    const d = await s.control.pay(dep.id, { amountAsset: "12500000" });
    expect(d).toMatchObject({ status: "completed", amountInCents: 1250 });
  });

  it("over HTTP: pay, advance the clock, read the payment and its secret", async () => {
    const s = await sim();
    const c = api(s);
    const a = await createPayment(s);
    const paid = await c.post(`${C}/payments/${a.id}/pay`, { outcome: "under", wait: true });
    expect(paid.status).toBe(200);
    expect((paid.body as { payment: WireMerchantPayment }).payment.status).toBe("failed");
    const b = await createPayment(s, { orderId: "b" });
    const adv = await c.post(`${C}/clock/advance`, { minutes: 61 });
    expect(Date.parse((adv.body as { now: string }).now)).toBeGreaterThan(Date.parse("2026-01-15T13:00:00Z"));
    const got = await c.get(`${C}/payments/${b.id}`);
    expect(got.body).toMatchObject({ payment: { status: "expired" }, secret: b.secret });
    expect((await c.post(`${C}/payments/${b.id}/pay`, {})).status).toBe(409);
    expect((await c.post(`${C}/payments/${b.id}/pay`, { outcome: "sideways" })).status).toBe(400);
    expect((await c.post(`${C}/payments/nope/pay`, {})).status).toBe(404);
  });
});

describe("withdrawals", () => {
  async function withdraw(s: Awaited<ReturnType<typeof sim>>, amountInCents: number): Promise<string> {
    const res = await api(s).post(W, { amountInCents, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT });
    return (res.body as { id: string }).id;
  }
  const balance = async (s: Awaited<ReturnType<typeof sim>>) =>
    (
      (await api(s).get("/v1/external/secretkey-auth/wallet/balances")).body as WireWalletBalances
    ).balances.find((b) => b.chainId === BASE_SEPOLIA);

  it("pending → processing → completed with a receipt, debiting the payout wallet", async () => {
    const s = await sim({ processingMs: 100 });
    const id = await withdraw(s, 2_500);
    expect(s.control.getWithdrawal(id)?.status).toBe("pending");
    expect((await balance(s))?.amountFormatted).toBe("10000");
    const during = await s.control.completeWithdrawal(id);
    expect(during.status).toBe("processing");
    await new Promise((r) => setTimeout(r, 200));
    const done = (await api(s).get(`${W}/${id}`)).body as WireWithdrawal;
    expect(done.status).toBe("completed");
    expect(done.receipt).toMatchObject({
      withdrawalId: id,
      settledAmountAsset: "25000000",
      settledAmountUsd: "25.00",
    });
    expect(await balance(s)).toMatchObject({ amountRaw: "9975000000", amountFormatted: "9975" });
  });

  it("fail sets errorMessage; completing beyond the balance fails; finishing twice is refused", async () => {
    const s = await sim({ initialBalanceCents: 1_000 });
    const a = await withdraw(s, 500);
    const failed = await s.control.failWithdrawal(a, { errorMessage: "gas too low", wait: true });
    expect(failed).toMatchObject({ status: "failed", errorMessage: "gas too low", receipt: null });
    await expect(s.control.completeWithdrawal(a)).rejects.toMatchObject({ status: 409 });
    const b = await withdraw(s, 5_000);
    expect(await s.control.completeWithdrawal(b, { wait: true })).toMatchObject({
      status: "failed",
      errorMessage: "Insufficient balance",
    });
  });

  it("over HTTP: complete and fail", async () => {
    const s = await sim();
    const c = api(s);
    const a = await withdraw(s, 200);
    const b = await withdraw(s, 300);
    const done = await c.post(`${C}/withdrawals/${a}/complete`, { txHash: "0xfeed", wait: true });
    expect(done.body).toMatchObject({ withdrawal: { status: "completed", receipt: { txHash: "0xfeed" } } });
    const bad = await c.post(`${C}/withdrawals/${b}/fail`, { errorMessage: "nope", wait: true });
    expect(bad.body).toMatchObject({ withdrawal: { status: "failed", errorMessage: "nope" } });
    expect((await c.post(`${C}/withdrawals/missing/complete`, {})).status).toBe(404);
  });
});

describe("recorded requests, counts and reset", () => {
  it("records method, path, query, parsed body and headers with every credential masked", async () => {
    const s = await sim();
    const c = api(s);
    const { id, secret } = await createPayment(s);
    await c.get(`${P}?status=pending&limit=5`);
    await c.get(`${PS}/${id}`, { auth: { secret } });
    await c.get(`/v1/merchants/${MERCHANT_ID}/withdrawals/config`, { auth: { bearer: BEARER } });
    const all = s.control.requests();
    expect(all.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${P}`,
      `GET ${P}`,
      `GET ${PS}/${id}`,
      `GET /v1/merchants/${MERCHANT_ID}/withdrawals/config`,
    ]);
    expect(all[0]?.body).toEqual({ amount: 1000, currency: "USD", orderId: "order_1" });
    expect(all[1]?.query).toEqual({ status: "pending", limit: "5" });
    const stored = JSON.stringify(all);
    for (const credential of [SECRET_KEY, secret, BEARER]) expect(stored).not.toContain(credential);
    expect(all[0]?.headers["x-spacepay-secret-key"]).toBe("***ator");
    expect(all[2]?.headers["x-spacepay-payment-secret"]).toMatch(/^\*\*\*[0-9a-f]{4}$/);
    expect(all[3]?.headers.authorization).toMatch(/^Bearer \*\*\*/);
    expect(s.control.requests({ method: "get", path: `${PS}/*` })).toHaveLength(1);
    const http = await c.get(`${C}/requests?method=POST`);
    expect((http.body as { requests: unknown[] }).requests).toHaveLength(1);
  });

  it("counts objects so tests can assert exactly one upstream create; reset empties everything", async () => {
    const s = await sim({ samplePayments: 5 });
    const c = api(s);
    await createPayment(s);
    await c.post(W, { amountInCents: 100, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT });
    s.control.addFault({ kind: "latency", latencyMs: 1, path: "/nothing" });
    expect(s.control.counts()).toMatchObject({ payments: 6, withdrawals: 1, requests: 2 });
    expect((await c.get(`${C}/counts`)).body).toMatchObject({ payments: 6, withdrawals: 1 });
    const before = (await c.get(`${P}?limit=1000`)).body as WirePage<WireMerchantPayment>;
    expect((await c.post(`${C}/reset`)).status).toBe(200);
    // Back to the start: only the startup samples, the same ones, no faults, no requests.
    expect(s.control.counts()).toMatchObject({ payments: 5, withdrawals: 0, requests: 0 });
    expect(s.control.listFaults()).toEqual([]);
    const after = (await c.get(`${P}?limit=1000`)).body as WirePage<WireMerchantPayment>;
    expect(after.data.map((p) => p.id)).toEqual(
      before.data.filter((p) => p.orderId !== "order_1").map((p) => p.id),
    );
  });

  it("info reports the accepted credentials and the control API is reachable without them", async () => {
    const s = await sim({
      secretKey: "sk_test_custom",
      bearerToken: "tok",
      merchantId: "11111111-2222-4333-8444-555555555555",
    });
    const info = await api(s).get(`${C}/info`, { auth: { key: null } });
    expect(info.body).toEqual({
      url: s.url,
      secretKey: "sk_test_custom",
      bearerToken: "tok",
      merchantId: "11111111-2222-4333-8444-555555555555",
      seed: 1,
    });
    expect((await api(s).get(P, { auth: { key: "sk_test_custom" } })).status).toBe(200);
    expect((await api(s).get(P)).status).toBe(401);
  });
});

describe("seeding", () => {
  const listAll = async (s: Awaited<ReturnType<typeof sim>>) =>
    (await api(s).get(`${P}?limit=1000&sortOrder=ASC`)).body as WirePage<WireMerchantPayment>;

  it("the same seed gives identical data, ids included; another seed differs", async () => {
    const a = await listAll(await sim({ samplePayments: 100, seed: 42 }));
    const b = await listAll(await sim({ samplePayments: 100, seed: 42 }));
    const c = await listAll(await sim({ samplePayments: 100, seed: 43 }));
    expect(b).toEqual(a);
    expect(c.data.map((p) => p.id)).not.toEqual(a.data.map((p) => p.id));
  });

  it("covers both types and all statuses over the last 30 days", async () => {
    const { data } = await listAll(await sim({ samplePayments: 12 }));
    expect(new Set(data.map((p) => `${p.type}/${p.status}`)).size).toBe(12);
    const now = Date.parse("2026-01-15T12:00:00.000Z");
    for (const p of data) {
      expect(Date.parse(p.createdAt)).toBeLessThanOrEqual(now);
      expect(Date.parse(p.createdAt)).toBeGreaterThanOrEqual(now - 30 * 86_400_000);
    }
  });

  it("seeds more on demand (in process and over HTTP) without id collisions, keeping createdAt order", async () => {
    const s = await sim({ samplePayments: 50 });
    await createPayment(s);
    const ids = s.control.seed(50);
    const http = await api(s).post(`${C}/seed`, { count: 25, seed: 9 });
    expect((http.body as { ids: string[] }).ids).toHaveLength(25);
    expect(ids).toHaveLength(50);
    const { data, pagination } = await listAll(s);
    expect(pagination.total).toBe(126);
    expect(new Set(data.map((p) => p.id)).size).toBe(126);
    const times = data.map((p) => Date.parse(p.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const paid = data.find((p) => p.status === "pending") as WireMerchantPayment;
    const secret = s.control.paymentSecret(paid.id) as string;
    expect((await api(s).get(`${PS}/${paid.id}/status`, { auth: { secret } })).body).toEqual({
      id: paid.id,
      status: "pending",
    });
  });

  it("lists and searches 10,000 payments", async () => {
    const s = await sim({ samplePayments: 10_000, seed: 3 });
    const c = api(s);
    const first = (await c.get(P)).body as WirePage<WireMerchantPayment>;
    expect(first.pagination).toMatchObject({ total: 10_000, totalPages: 100, hasMore: true });
    const last = (await c.get(`${P}?limit=1000&offset=9500`)).body as WirePage<WireMerchantPayment>;
    expect(last.data).toHaveLength(500);
    const target = last.data[123] as WireMerchantPayment;
    const found = (await c.get(`${P}?search=${target.id.slice(0, 13)}`))
      .body as WirePage<WireMerchantPayment>;
    expect(found.data.map((p) => p.id)).toContain(target.id);
    const byAmount = (await c.get(`${P}?sortBy=amountInCents&limit=3&status=completed`))
      .body as WirePage<WireMerchantPayment>;
    expect(byAmount.data.map((p) => p.status)).toEqual(["completed", "completed", "completed"]);
  });
});
