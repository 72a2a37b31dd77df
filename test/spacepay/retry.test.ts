// The retry policy as a user sees it: which answers are retried, how long the client waits
// (backoff, Retry-After), the total budget, and that a create reuses one idempotency key throughout.
import { describe, expect, it } from "vitest";
import type { SpacePayError } from "../../src/spacepay/errors.js";
import {
  AuthenticationError,
  ConnectionError,
  IdempotencyConflictError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "../../src/spacepay/errors.js";
import { backoffMs, parseRetryAfter } from "../../src/spacepay/retry.js";
import { json, replies, type Reply } from "../helpers/loopback.js";
import { PAYMENT_SECRET, SECRET_KEY, fixture, harness, type Harness } from "./harness.js";

let h: Harness | undefined;

const chainOk = () => json(200, fixture("openapi-chain.json"));
const created = () => json(201, fixture("openapi-create-payment-response.json"));

describe("GET requests", () => {
  it.each([
    [500, ServerError],
    [502, ServerError],
    [503, ServerError],
    [429, RateLimitError],
    [408, TimeoutError],
  ])("a %i is retried and the second answer wins", async (status, Cls) => {
    h = await harness(
      replies({ status, body: { error: { type: "x", message: "try later", code: "busy" } } }, chainOk()),
    );
    const res = await h.client.getChain(84532);
    expect(res.meta.attempts).toBe(2);
    expect(h.server.requests).toHaveLength(2);
    expect(h.sleeps).toEqual([500]);
    // And when it keeps failing, the error is the status's class.
    h.server.setHandler(replies({ status }));
    const err = await h.client.getChain(84532).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cls);
    expect((err as SpacePayError).retryable).toBe(true);
  });

  it("a connection reset is retried", async () => {
    h = await harness(replies({ reset: true }, chainOk()));
    const res = await h.client.getChain(84532);
    expect(res.meta.attempts).toBe(2);
    expect(h.events.map((e) => e.status)).toEqual([null, 200]);
    expect(h.events[0]?.error).toMatch(/ConnectionError/);
  });

  it("gives up after maxRetries with exponential backoff and throws the last error", async () => {
    h = await harness(replies({ status: 503, body: "<html>down</html>" }));
    const err = await h.client.listChains().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(503);
    expect(h.server.requests).toHaveLength(3);
    expect(h.sleeps).toEqual([500, 1000]);
    expect(h.events.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it("maxRetries 0 means one attempt", async () => {
    h = await harness(replies({ status: 503 }), { maxRetries: 0 });
    await expect(h.client.listChains()).rejects.toBeInstanceOf(ServerError);
    expect(h.server.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it.each([
    [400, ValidationError],
    [401, AuthenticationError],
    [403, PermissionError],
    [404, NotFoundError],
    [409, IdempotencyConflictError],
    [422, ValidationError],
  ])("a %i is never retried", async (status, Cls) => {
    h = await harness(replies({ status, body: { error: { type: "t", message: "no", code: "c" } } }));
    const err = await h.client.getPayment("p1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cls);
    expect((err as SpacePayError).retryable).toBe(false);
    expect(h.server.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });
});

describe("POST requests and idempotency", () => {
  it("a create retried after 503, 502 and a reset sends the same Idempotency-Key every time", async () => {
    h = await harness(replies({ status: 503 }, { status: 502 }, { reset: true }, created()), {
      maxRetries: 3,
    });
    const res = await h.client.createPayment({ amountInCents: 1250, orderId: "order_789" });
    const keys = h.server.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(1);
    expect(res.meta.idempotencyKey).toBe(keys[0]);
    expect(res.meta.attempts).toBe(4);
    // Same body each time too: a retry is the same request, not a new one.
    expect(new Set(h.server.requests.map((r) => r.body)).size).toBe(1);
  });

  it("a caller-supplied key is used on every attempt of a withdrawal", async () => {
    h = await harness(replies({ status: 500 }, json(201, fixture("openapi-withdrawal.json"))));
    await h.client.createWithdrawal(
      {
        amountInCents: 1000,
        chainId: "eip155:84532",
        recipientAddress: "0x31adfe243828bb73e5186f77a66de459a4f568a8",
      },
      { idempotencyKey: "guard-chosen-key" },
    );
    expect(h.server.requests.map((r) => r.headers["idempotency-key"])).toEqual([
      "guard-chosen-key",
      "guard-chosen-key",
    ]);
  });

  it("every create route sends an Idempotency-Key (so creates are the POSTs that may be retried)", async () => {
    h = await harness((req) =>
      req.path.endsWith("/quotes")
        ? json(201, fixture("openapi-quote.json"))
        : req.path.endsWith("/withdrawals")
          ? json(201, fixture("openapi-withdrawal.json"))
          : created(),
    );
    await h.client.createPayment({ amountInCents: 300, orderId: "o" });
    await h.client.createQuote("p1", PAYMENT_SECRET);
    await h.client.createWithdrawal({ amountInCents: 100, chainId: 8453, recipientAddress: "0xabc" });
    for (const r of h.server.requests) expect(r.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a POST without an Idempotency-Key (refresh-status) is not retried on a 503 or a reset", async () => {
    h = await harness(replies({ status: 503 }));
    await expect(h.client.refreshStatus("p1", PAYMENT_SECRET)).rejects.toBeInstanceOf(ServerError);
    expect(h.server.requests).toHaveLength(1);
    h.server.setHandler(replies({ reset: true }));
    await expect(h.client.refreshStatus("p1", PAYMENT_SECRET)).rejects.toBeInstanceOf(ConnectionError);
    expect(h.server.requests).toHaveLength(2);
    expect(h.sleeps).toEqual([]);
  });

  it("a 409 on a create is an IdempotencyConflictError, not retried", async () => {
    h = await harness(
      replies({
        status: 409,
        body: { error: { type: "idempotency_error", message: "in progress", code: "conflict" } },
      }),
    );
    const err = await h.client.createPayment({ amountInCents: 300, orderId: "o" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect(h.server.requests).toHaveLength(1);
  });

  it("reports a replayed answer and the request id", async () => {
    h = await harness(
      replies(
        json(201, fixture("openapi-create-payment-response.json"), {
          "Idempotent-Replayed": "true",
          "X-Request-Id": "req_replay_7",
        }),
      ),
    );
    const res = await h.client.createPayment({ amountInCents: 1250, orderId: "o" }, { idempotencyKey: "k1" });
    expect(res.meta).toMatchObject({ replayed: true, requestId: "req_replay_7", idempotencyKey: "k1" });
  });

  it("reads the request id from a request-id header too", async () => {
    h = await harness(replies(json(200, fixture("openapi-chain.json"), { "request-id": "req_alt" })));
    const res = await h.client.getChain(84532);
    expect(res.meta).toMatchObject({ requestId: "req_alt", replayed: false, idempotencyKey: null });
  });
});

describe("Retry-After and the retry budget", () => {
  it("waits the Retry-After seconds", async () => {
    h = await harness(replies({ status: 429, headers: { "retry-after": "2" } }, chainOk()));
    await h.client.getChain(84532);
    expect(h.sleeps).toEqual([2000]);
  });

  it("waits until a Retry-After HTTP date", async () => {
    const now = Date.UTC(2026, 0, 15, 10, 0, 0);
    const at = new Date(now + 3000).toUTCString();
    h = await harness(replies({ status: 503, headers: { "retry-after": at } }, chainOk()), {
      now: () => now,
    });
    await h.client.getChain(84532);
    expect(h.sleeps).toEqual([3000]);
  });

  it("a Retry-After beyond the budget stops at once with retryAfterMs set", async () => {
    h = await harness(replies({ status: 429, headers: { "retry-after": "60" } }, chainOk()), {
      retryBudgetMs: 30_000,
    });
    const err = await h.client.getChain(84532).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(60_000);
    expect(h.server.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it("stops when the next backoff would overrun the total budget", async () => {
    h = await harness(replies({ status: 503 }), { retryBudgetMs: 1_200, maxRetries: 10 });
    await expect(h.client.listChains()).rejects.toBeInstanceOf(ServerError);
    // 500 ms fits; 1000 ms more would pass 1200 ms.
    expect(h.sleeps).toEqual([500]);
    expect(h.server.requests).toHaveLength(2);
  });

  it("429 without Retry-After backs off like any retryable error", async () => {
    h = await harness(replies({ status: 429 }, chainOk()));
    await h.client.getChain(84532);
    expect(h.sleeps).toEqual([500]);
  });
});

describe("backoff and Retry-After parsing", () => {
  it("doubles from 500 ms to a cap of 8 s, with at most 25% jitter taken off", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    for (const n of [1, 2, 5]) {
      const full = backoffMs(n, () => 0);
      const jittered = backoffMs(n, () => 0.999);
      expect(jittered).toBeLessThan(full);
      expect(jittered).toBeGreaterThanOrEqual(full * 0.75);
    }
  });

  it("reads seconds, fractions, HTTP dates and retry-after-ms; ignores garbage", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter("3", null, now)).toBe(3000);
    expect(parseRetryAfter("1.5", null, now)).toBe(1500);
    expect(parseRetryAfter(new Date(now + 7000).toUTCString(), null, now)).toBe(7000);
    expect(parseRetryAfter(new Date(now - 7000).toUTCString(), null, now)).toBe(0);
    expect(parseRetryAfter("soon", null, now)).toBeNull();
    expect(parseRetryAfter(null, null, now)).toBeNull();
    expect(parseRetryAfter("3", "250", now)).toBe(250);
  });
});

describe("request log events", () => {
  it("one event per attempt, and none carries a credential", async () => {
    const replyList: Reply[] = [{ status: 500 }, created()];
    h = await harness(replies(...replyList));
    await h.client.createPayment({ amountInCents: 300, orderId: "o" });
    expect(h.events).toHaveLength(2);
    expect(h.events[0]).toMatchObject({
      method: "POST",
      path: "/v1/external/secretkey-auth/payments",
      status: 500,
      attempt: 1,
    });
    expect(h.events[1]).toMatchObject({ status: 201, attempt: 2 });
    expect(JSON.stringify(h.events)).not.toContain(SECRET_KEY);
  });
});
