// How failed answers become typed errors: the status table, the documented envelope, bodies of any
// other shape (HTML, empty, truncated, huge), bad 2xx bodies, and no credential in any error.
import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  IdempotencyConflictError,
  InvalidResponseError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  SpacePayError,
  TimeoutError,
  ValidationError,
} from "../../src/spacepay/errors.js";
import { MAX_ERROR_BODY_BYTES } from "../../src/spacepay/http.js";
import { replies, type Reply } from "../helpers/loopback.js";
import { BEARER_TOKEN, PAYMENT_SECRET, SECRET_KEY, fixture, harness, type Harness } from "./harness.js";

let h: Harness | undefined;

async function failWith(reply: Reply): Promise<SpacePayError> {
  h = await harness(replies(reply), { maxRetries: 0 });
  const err = await h.client.getPayment("p1").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SpacePayError);
  return err as SpacePayError;
}

describe("status to error class", () => {
  it.each([
    [400, ValidationError, false],
    [422, ValidationError, false],
    [401, AuthenticationError, false],
    [403, PermissionError, false],
    [404, NotFoundError, false],
    [408, TimeoutError, true],
    [409, IdempotencyConflictError, false],
    [429, RateLimitError, true],
    [500, ServerError, true],
    [502, ServerError, true],
    [503, ServerError, true],
    [504, ServerError, true],
  ])("%i → %o (retryable %s)", async (status, Cls, retryable) => {
    const err = await failWith({ status, body: { error: { type: "t", message: "m", code: "c" } } });
    expect(err).toBeInstanceOf(Cls);
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(retryable);
  });

  it("an undocumented 4xx is a plain SpacePayError that keeps its status", async () => {
    const err = await failWith({ status: 418, body: "teapot" });
    expect(err.constructor).toBe(SpacePayError);
    expect(err.status).toBe(418);
    expect(err.retryable).toBe(false);
  });
});

describe("the documented envelope", () => {
  it("400 carries type, code, param, message and request id (docs example)", async () => {
    const err = await failWith({
      status: 400,
      body: fixture("docs-error-400.json"),
      headers: { "x-request-id": "req_400" },
    });
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "invalid_amount",
      param: "amount",
      requestId: "req_400",
    });
    expect(err.message).toBe("SpacePay API error 400 (invalid_amount): The amount must be greater than 0");
  });

  it("401 (docs example) is an AuthenticationError", async () => {
    const err = await failWith({ status: 401, body: fixture("docs-error-401.json") });
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ type: "authentication_error", code: "invalid_api_key", param: null });
  });

  it("404 (docs example) is a NotFoundError with payment_not_found", async () => {
    const err = await failWith({ status: 404, body: fixture("docs-error-404.json") });
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe("payment_not_found");
    expect(err.message).toContain("Payment not found");
  });

  it("a framework-style body ({statusCode, message: [...], error}) still yields its messages", async () => {
    const err = await failWith({
      status: 400,
      body: {
        statusCode: 400,
        message: ["amount must not be less than 400", "orderId must be a string"],
        error: "Bad Request",
      },
    });
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("amount must not be less than 400; orderId must be a string");
    expect(err.type).toBe("Bad Request");
  });
});

describe("bodies of any other shape", () => {
  it("an HTML 502 keeps its status and says the body was not JSON", async () => {
    const err = await failWith({
      status: 502,
      body: "<html><body>Bad gateway</body></html>",
      headers: { "content-type": "text/html; charset=utf-8" },
    });
    expect(err).toBeInstanceOf(ServerError);
    expect(err.status).toBe(502);
    expect(err.message).toBe("SpacePay API error 502 with a non-JSON body (text/html).");
    expect(err.body).toContain("Bad gateway");
    expect(err.code).toBeNull();
  });

  it("an empty 500", async () => {
    const err = await failWith({ status: 500 });
    expect(err.message).toBe("SpacePay API error 500 with an empty body.");
  });

  it("truncated JSON", async () => {
    const err = await failWith({ status: 403, body: '{"error": {"type": "permission_err' });
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toBe("SpacePay API error 403 with a non-JSON body.");
  });

  it("JSON of another shape", async () => {
    const err = await failWith({ status: 409, body: ["something", 1] });
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect(err.message).toBe(
      "SpacePay API error 409 with a JSON body without the documented error envelope.",
    );
  });

  it("a huge error body is cut: the error keeps a short excerpt only", async () => {
    const err = await failWith({ status: 500, body: "x".repeat(MAX_ERROR_BODY_BYTES * 8) });
    expect(err).toBeInstanceOf(ServerError);
    expect(err.body!.length).toBeLessThanOrEqual(2_001);
  });

  it("an absurdly long API message is capped", async () => {
    const err = await failWith({
      status: 400,
      body: { error: { type: "t", code: "c", message: "y".repeat(10_000) } },
    });
    expect(err.message.length).toBeLessThan(700);
  });
});

describe("2xx answers that cannot be read", () => {
  it.each([
    ["HTML", { status: 200, body: "<html>maintenance</html>" }, /not JSON/],
    ["empty", { status: 200 }, /empty body/],
  ] as Array<[string, Reply, RegExp]>)(
    "%s: garbled on the way, so retryable",
    async (_label, reply, pattern) => {
      const err = await failWith(reply);
      expect(err).toBeInstanceOf(InvalidResponseError);
      expect(err.status).toBe(200);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(pattern);
    },
  );

  it("a GET asks again after a garbled answer and takes the good one", async () => {
    const good = fixture<object>("openapi-payment-completed.json");
    h = await harness(replies({ status: 200, body: '{"id": "p1", "sta' }, { status: 200, body: good }), {
      maxRetries: 2,
    });
    const res = await h.client.getPayment("p1");
    expect(res.data.status).toBe("completed");
    expect(res.meta.attempts).toBe(2);
    expect(h.server.requests).toHaveLength(2);
  });

  it.each([
    ["missing required fields", { status: 200, body: { id: "p1" } }, /status/],
    [
      "a wrong status value",
      { status: 200, body: { ...fixture<object>("openapi-payment-completed.json"), status: "weird" } },
      /status/,
    ],
  ] as Array<[string, Reply, RegExp]>)("%s: readable but wrong, so final", async (_label, reply, pattern) => {
    h = await harness(replies(reply), { maxRetries: 2 });
    const err = (await h.client.getPayment("p1").catch((e: unknown) => e)) as SpacePayError;
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(err.status).toBe(200);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(pattern);
    expect(h!.server.requests).toHaveLength(1);
  });
});

describe("credentials never appear in errors", () => {
  /** Every string the error exposes: message, stack, own properties, JSON form. */
  function everything(err: unknown): string {
    const e = err as Error & Record<string, unknown>;
    const own = Object.getOwnPropertyNames(e).map((k) => String(e[k]));
    return [String(e), e.message, e.stack ?? "", JSON.stringify(e), ...own].join("\n");
  }

  it("an API that echoes every credential back in its error body", async () => {
    h = await harness(
      (req) => ({
        status: 401,
        body: {
          error: {
            type: "authentication_error",
            code: String(
              req.headers["x-spacepay-secret-key"] ??
                req.headers["x-spacepay-payment-secret"] ??
                req.headers.authorization,
            ),
            param: String(req.headers.authorization ?? req.headers["x-spacepay-secret-key"]),
            message: `bad key ${String(req.headers["x-spacepay-secret-key"])} / ${String(req.headers["x-spacepay-payment-secret"])} / ${String(req.headers.authorization)}`,
          },
        },
      }),
      { maxRetries: 0 },
    );
    const errors = [
      await h.client.getPayment("p1").catch((e: unknown) => e),
      await h.client.getPaymentStatus("p1", PAYMENT_SECRET).catch((e: unknown) => e),
      await h.client.getWithdrawalConfig().catch((e: unknown) => e),
    ];
    for (const err of errors) {
      expect(err).toBeInstanceOf(AuthenticationError);
      const text = everything(err);
      expect(text).toContain("[redacted]");
      for (const secret of [SECRET_KEY, PAYMENT_SECRET, BEARER_TOKEN]) expect(text).not.toContain(secret);
    }
  });

  it("a 2xx with a non-JSON body that contains the key", async () => {
    h = await harness(
      (req) => ({ status: 200, body: `<p>${String(req.headers["x-spacepay-secret-key"])}</p>` }),
      {
        maxRetries: 0,
      },
    );
    const err = await h.client.getPayment("p1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(everything(err)).not.toContain(SECRET_KEY);
  });
});
