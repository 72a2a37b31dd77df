// Shared set-up for client tests: a loopback server (closed when the test ends), a client pointed at
// it with a recording (instant) sleep and deterministic jitter, known credentials, and the JSON fixtures.
import { readFileSync } from "node:fs";
import { onTestFinished } from "vitest";
import { SpacePayClient, type SpacePayClientOptions } from "../../src/spacepay/client.js";
import type { RequestLogEvent } from "../../src/spacepay/types.js";
import { startLoopback, type Handler, type Loopback } from "../helpers/loopback.js";

export const SECRET_KEY = "sk_test_harness_merchant_key_0001";
export const BEARER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.harness-bearer-token.signature";
export const MERCHANT_ID = "4e29f55d-d6a8-42d7-8230-cb8efeded39e";
export const PAYMENT_SECRET = "ps_harness_payment_secret_0042";

export const CREDENTIAL_HEADERS = [
  "x-spacepay-secret-key",
  "x-spacepay-payment-secret",
  "authorization",
] as const;

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as T;
}

export interface Harness {
  server: Loopback;
  client: SpacePayClient;
  /** Every backoff the client asked to wait, in ms. */
  sleeps: number[];
  events: RequestLogEvent[];
  close(): Promise<void>;
}

/** Sleep that records and returns at once, but still rejects when the signal aborts. */
export function recordingSleep(sleeps: number[]) {
  return (ms: number, signal?: AbortSignal) => {
    sleeps.push(ms);
    return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  };
}

export async function harness(
  handler?: Handler,
  options: Partial<SpacePayClientOptions> = {},
): Promise<Harness> {
  const server = await startLoopback(handler);
  const sleeps: number[] = [];
  const events: RequestLogEvent[] = [];
  const client = new SpacePayClient({
    baseUrl: server.url,
    secretKey: SECRET_KEY,
    bearerToken: BEARER_TOKEN,
    merchantId: MERCHANT_ID,
    timeoutMs: 2_000,
    maxRetries: 2,
    random: () => 0,
    sleep: recordingSleep(sleeps),
    onRequest: (e) => events.push(e),
    ...options,
  });
  const h: Harness = {
    server,
    client,
    sleeps,
    events,
    async close() {
      // Server first: it destroys any hung socket, so the agent's close cannot wait on one.
      await server.close();
      await client.close();
    },
  };
  // Closed when the test that opened it ends, whatever its outcome.
  onTestFinished(() => h.close());
  return h;
}
