// Fault injection, observed with raw node:http: latency, error statuses with and without Retry-After,
// resets before and after processing, truncated/HTML/empty bodies, hangs; counts, probabilities, matching.
import { describe, expect, it } from "vitest";
import { globToRegExp } from "../../src/simulator/faults.js";
import { api, BEARER, MERCHANT_ID, P, rawRequest, SECRET_KEY, sim } from "./helpers.js";

const auth = { "X-SpacePay-Secret-Key": SECRET_KEY, "Content-Type": "application/json" };
const payment = JSON.stringify({ amount: 1000, currency: "USD", orderId: "f" });

describe("fault kinds", () => {
  it("latency delays the response", async () => {
    const s = await sim();
    s.control.addFault({ kind: "latency", method: "GET", path: P, latencyMs: 200, count: 1 });
    const started = Date.now();
    const res = await rawRequest(s.url, "GET", P, { headers: auth });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("error statuses, with and without Retry-After, are not processed", async () => {
    const s = await sim();
    s.control.addFault({ kind: "error", method: "POST", path: P, status: 429, retryAfter: 2, count: 1 });
    s.control.addFault({ kind: "error", method: "POST", path: P, status: 503, count: 1 });
    const limited = await rawRequest(s.url, "POST", P, { headers: auth, body: payment });
    expect(limited.status).toBe(429);
    expect(limited.headers?.["retry-after"]).toBe("2");
    expect(JSON.parse(limited.body ?? "")).toMatchObject({ error: { type: "rate_limit_error" } });
    const unavailable = await rawRequest(s.url, "POST", P, { headers: auth, body: payment });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers?.["retry-after"]).toBeUndefined();
    expect(unavailable.headers?.["x-request-id"]).toMatch(/^req_/);
    expect(s.control.counts().payments).toBe(0);
    expect((await rawRequest(s.url, "POST", P, { headers: auth, body: payment })).status).toBe(201);
  });

  it("reset before processing: the client sees a reset and nothing was created", async () => {
    const s = await sim();
    s.control.addFault({ kind: "reset", method: "POST", path: P, count: 1 });
    const res = await rawRequest(s.url, "POST", P, { headers: auth, body: payment });
    expect(res.error?.code).toMatch(/ECONNRESET|EPIPE/);
    expect(s.control.counts()).toMatchObject({ payments: 0, requests: 1 });
  });

  it("reset after processing: the client sees a reset but the payment exists", async () => {
    const s = await sim();
    s.control.addFault({ kind: "reset-after", method: "POST", path: P, count: 1 });
    const res = await rawRequest(s.url, "POST", P, {
      headers: { ...auth, "Idempotency-Key": "r1" },
      body: payment,
    });
    expect(res.error?.code).toMatch(/ECONNRESET|EPIPE/);
    expect(s.control.counts().payments).toBe(1);
    // The retry with the same key replays the first result instead of creating a second payment.
    const retry = await rawRequest(s.url, "POST", P, {
      headers: { ...auth, "Idempotency-Key": "r1" },
      body: payment,
    });
    expect(retry.status).toBe(201);
    expect(retry.headers?.["idempotent-replayed"]).toBe("true");
    expect(s.control.counts().payments).toBe(1);
  });

  it("truncate sends a cut-off JSON body after processing", async () => {
    const s = await sim();
    s.control.addFault({ kind: "truncate", method: "POST", path: P, count: 1 });
    const res = await rawRequest(s.url, "POST", P, { headers: auth, body: payment });
    expect(res.status).toBe(201);
    expect(res.headers?.["content-type"]).toContain("application/json");
    expect(res.body?.startsWith('{"paymentUrl"')).toBe(true);
    expect(() => JSON.parse(res.body ?? "")).toThrow();
    expect(s.control.counts().payments).toBe(1);
  });

  it("html replaces the body with an HTML page, with an optional status", async () => {
    const s = await sim();
    s.control.addFault({ kind: "html", path: P, status: 502, count: 1 });
    const res = await rawRequest(s.url, "GET", P, { headers: auth });
    expect(res.status).toBe(502);
    expect(res.headers?.["content-type"]).toContain("text/html");
    expect(res.body).toContain("<html>");
  });

  it("empty sends no body at all", async () => {
    const s = await sim();
    s.control.addFault({ kind: "empty", path: P, count: 1 });
    const res = await rawRequest(s.url, "GET", P, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers?.["content-length"]).toBe("0");
  });

  it("hang never answers: the client times out, and close() still finishes promptly", async () => {
    const s = await sim();
    s.control.addFault({ kind: "hang", path: "/v1/external/chains" });
    const res = await rawRequest(s.url, "GET", "/v1/external/chains", { timeoutMs: 300 });
    expect(res.timedOut).toBe(true);
    // Leave a second request hanging while closing.
    const pending = rawRequest(s.url, "GET", "/v1/external/chains", { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    const after = await pending;
    expect(after.error ?? after.timedOut).toBeTruthy();
  });
});

describe("matching, counts and probabilities", () => {
  it("count N fires exactly N times, then the rule retires", async () => {
    const s = await sim();
    s.control.addFault({ kind: "error", status: 500, path: "/v1/external/tokens", count: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(s).get("/v1/external/tokens")).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect(s.control.listFaults()).toEqual([]);
  });

  it("probability is seeded: the same seed gives the same pattern", async () => {
    const pattern = async () => {
      const s = await sim({ seed: 5 });
      s.control.addFault({ kind: "error", status: 503, path: "/v1/external/chains", probability: 0.5 });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await api(s).get("/v1/external/chains")).status);
      return out;
    };
    const a = await pattern();
    expect(a).toEqual(await pattern());
    expect(a.filter((x) => x === 503).length).toBeGreaterThan(3);
    expect(a.filter((x) => x === 200).length).toBeGreaterThan(3);
  });

  it("matches method and path globs or regexes; control routes are never faulted", async () => {
    const s = await sim();
    s.control.addFault({ kind: "error", status: 500, method: "POST", path: "/v1/external/**" });
    s.control.addFault({ kind: "error", status: 418, pathRegex: "^/v1/merchants/[^/]+/withdrawals/config$" });
    expect((await api(s).get(P)).status).toBe(200);
    expect((await api(s).post(P, { amount: 1000, currency: "USD", orderId: "x" })).status).toBe(500);
    const config = await api(s).get(`/v1/merchants/${MERCHANT_ID}/withdrawals/config`, {
      auth: { bearer: BEARER },
    });
    expect(config.status).toBe(418);
    expect((await api(s).get("/__simulator/counts")).status).toBe(200);
    expect(globToRegExp("/v1/*/payments").test("/v1/a/b/payments")).toBe(false);
    expect(globToRegExp("/v1/**/payments").test("/v1/a/b/payments")).toBe(true);
  });

  it("the HTTP control API adds, lists and clears faults", async () => {
    const s = await sim();
    const c = api(s);
    const added = await c.post("/__simulator/faults", {
      kind: "error",
      status: 502,
      path: "/v1/external/chains",
      count: 3,
    });
    expect(added.status).toBe(201);
    const id = (added.body as { fault: { id: string } }).fault.id;
    expect((await c.get("/v1/external/chains")).status).toBe(502);
    expect((await c.get("/__simulator/faults")).body).toMatchObject({
      faults: [{ id, fired: 1, remaining: 2 }],
    });
    expect((await c.delete(`/__simulator/faults/${id}`)).body).toEqual({ removed: 1 });
    expect((await c.get("/v1/external/chains")).status).toBe(200);
    await c.post("/__simulator/faults", { kind: "empty" });
    expect((await c.delete("/__simulator/faults")).body).toEqual({ removed: 1 });
    const bad = await c.post("/__simulator/faults", { kind: "error" });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { param: string } }).error.param).toBe("status");
    expect((await c.post("/__simulator/faults", { kind: "explode" })).status).toBe(400);
  });
});
