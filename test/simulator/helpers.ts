// Test helpers: start a simulator per test (closed afterwards) and call it with the right credentials.
import { request as httpRequest } from "node:http";
import { afterEach } from "vitest";
import type { WireCreatePaymentResponse } from "../../src/spacepay/wire.js";
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from "../../src/simulator/index.js";

export const SECRET_KEY = "sk_test_simulator";
export const BEARER = "simulator_bearer_token";
export const MERCHANT_ID = "5a1e5a1e-0000-4000-8000-000000000001";
export const P = "/v1/external/secretkey-auth/payments";
export const W = "/v1/external/secretkey-auth/withdrawals";
export const PS = "/v1/external/payment-secret-auth/payments";
export const BASE_SEPOLIA = "eip155:84532";
export const SEPOLIA = "eip155:11155111";
export const BASE_USDC = "0x00fc61d7de7655db3984db634e3489130ebeacf6";
export const RECIPIENT = "0x31adfE243828BB73e5186f77A66de459a4f568a8";

const open = new Set<SimulatorHandle>();
afterEach(async () => {
  await Promise.all([...open].map((s) => s.close()));
  open.clear();
});

/** Starts a simulator that is closed after the current test. Payments settle at once unless asked. */
export async function sim(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const s = await startSimulator({ processingMs: 0, now: "2026-01-15T12:00:00.000Z", ...options });
  open.add(s);
  return s;
}

export interface Res {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

type Auth = { key?: string | null; secret?: string; bearer?: string };

export interface CallOptions {
  auth?: Auth;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: string;
}

/** A fetch-based caller; by default sends the merchant secret key. */
export function api(s: SimulatorHandle) {
  const call = async (method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...opts.headers };
    const auth = opts.auth ?? {};
    if (auth.key !== null && auth.secret === undefined && auth.bearer === undefined) {
      headers["X-SpacePay-Secret-Key"] = auth.key ?? SECRET_KEY;
    }
    if (auth.secret !== undefined) headers["X-SpacePay-Payment-Secret"] = auth.secret;
    if (auth.bearer !== undefined) headers.Authorization = `Bearer ${auth.bearer}`;
    if (opts.idempotencyKey !== undefined) headers["Idempotency-Key"] = opts.idempotencyKey;
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // leave as text
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    get: (path: string, opts?: CallOptions) => call("GET", path, undefined, opts),
    post: (path: string, body?: unknown, opts?: CallOptions) => call("POST", path, body, opts),
    delete: (path: string, opts?: CallOptions) => call("DELETE", path, undefined, opts),
  };
}

/** Creates a payment (or deposit) and returns its id and secret. */
export async function createPayment(
  s: SimulatorHandle,
  body: Record<string, unknown> = {},
): Promise<{ id: string; secret: string; body: WireCreatePaymentResponse }> {
  const res = await api(s).post(P, { amount: 1000, currency: "USD", orderId: "order_1", ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  const b = res.body as WireCreatePaymentResponse;
  return { id: b.paymentId, secret: b.secret, body: b };
}

export interface RawResult {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  error?: NodeJS.ErrnoException;
  timedOut?: boolean;
}

/** A raw node:http request that reports resets, truncation and hangs (with a client timeout) as data. */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}${path}`,
      { method, headers: { ...opts.headers, Connection: "close" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
        res.on("error", (error) => resolve({ status: res.statusCode, headers: res.headers, body, error }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ timedOut: true });
    }, opts.timeoutMs ?? 3_000);
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error }));
    req.on("close", () => clearTimeout(timer));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
