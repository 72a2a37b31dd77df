// The failure model at the request pipeline (src/spacepay/failure.ts): every attempt's outcome is
// kept on the error a create finally throws, and the call is "not sent" only when no attempt can
// have been processed. Includes the sequence the simulator cannot stage: a refused connection first.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SpacePayClient } from "../../src/spacepay/client.js";
import {
  NotConnectedError,
  RateLimitError,
  RejectedError,
  SpacePayError,
  ValidationError,
} from "../../src/spacepay/errors.js";
import { failureOf } from "../../src/spacepay/failure.js";
import { json, replies, startLoopback, type Loopback, type Reply } from "../helpers/loopback.js";

const WITHDRAWAL = { amountInCents: 1_000, chainId: "eip155:84532", recipientAddress: "0x1" };

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

function clientFor(url: string, maxRetries: number, sleep?: () => Promise<void>): SpacePayClient {
  const client = new SpacePayClient({
    baseUrl: url,
    secretKey: "sk_test_failure",
    timeoutMs: 1_000,
    maxRetries,
    random: () => 0,
    sleep: sleep ?? (async () => {}),
  });
  closers.push(() => client.close());
  return client;
}

async function loopback(...list: Reply[]): Promise<Loopback> {
  const lb = await startLoopback(replies(...list));
  closers.push(() => lb.close());
  return lb;
}

async function failed(p: Promise<unknown>): Promise<SpacePayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpacePayError);
  return err as SpacePayError;
}

/** A port nothing listens on until `listen()` is called (from the client's backoff sleep). */
async function refusingPort(onRequest: Reply[]): Promise<{ url: string; listen: () => Promise<void> }> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  let server: Server | null = null;
  let served = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    listen: async () => {
      if (server) return;
      server = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          const reply = onRequest[Math.min(served++, onRequest.length - 1)]!;
          if (reply.reset) return req.socket.resetAndDestroy();
          res.writeHead(reply.status ?? 200, { "content-type": "application/json" });
          res.end(JSON.stringify(reply.body ?? {}));
        });
      });
      const s = server;
      await new Promise<void>((r) => s.listen(port, "127.0.0.1", r));
      closers.push(() => new Promise<void>((r) => s.close(() => r())));
    },
  };
}

describe("a create's attempt history", () => {
  it("refused, then 429: not sent, and every attempt is on the error", async () => {
    const port = await refusingPort([json(429, { error: { message: "slow down" } })]);
    const client = clientFor(port.url, 1, port.listen);
    const err = await failed(client.createWithdrawal(WITHDRAWAL, { idempotencyKey: "k-refused-429" }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.attempts).toEqual([
      { attempt: 1, status: null, what: "NotConnectedError ECONNREFUSED", mayHaveBeenProcessed: false },
      { attempt: 2, status: 429, what: "RateLimitError", mayHaveBeenProcessed: false },
    ]);
    expect(err.failure).toBe("not_sent");
    expect(failureOf(err)).toBe("not_sent");
  });

  it("refused, then reset after the request arrived: ambiguous", async () => {
    const port = await refusingPort([{ reset: true }]);
    const client = clientFor(port.url, 1, port.listen);
    const err = await failed(client.createWithdrawal(WITHDRAWAL, { idempotencyKey: "k-refused-reset" }));
    expect(err.attempts?.map((a) => a.mayHaveBeenProcessed)).toEqual([false, true]);
    expect(failureOf(err)).toBe("ambiguous");
  });

  it("refused on every attempt: a NotConnectedError, not sent", async () => {
    const port = await refusingPort([]);
    const client = clientFor(port.url, 2);
    const err = await failed(client.createWithdrawal(WITHDRAWAL, { idempotencyKey: "k-refused" }));
    expect(err).toBeInstanceOf(NotConnectedError);
    expect(err.attempts).toHaveLength(3);
    expect(failureOf(err)).toBe("not_sent");
  });

  it("503, then 400: ambiguous (the 503 may have been processed)", async () => {
    const lb = await loopback(json(503, {}), json(400, { error: { message: "bad" } }));
    const err = await failed(clientFor(lb.url, 2).createWithdrawal(WITHDRAWAL, { idempotencyKey: "k1" }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.attempts?.map((a) => [a.status, a.mayHaveBeenProcessed])).toEqual([
      [503, true],
      [400, false],
    ]);
    expect(failureOf(err)).toBe("ambiguous");
  });

  it("429, then a 2xx whose body is not JSON, then 429: ambiguous", async () => {
    const lb = await loopback(json(429, {}), { status: 201, body: "<html>" }, json(429, {}));
    const err = await failed(clientFor(lb.url, 2).createWithdrawal(WITHDRAWAL, { idempotencyKey: "k2" }));
    expect(err.attempts?.map((a) => a.mayHaveBeenProcessed)).toEqual([false, true, false]);
    expect(failureOf(err)).toBe("ambiguous");
  });

  it.each([400, 401, 403, 404, 405, 413, 415, 422])(
    "HTTP %i alone is a RejectedError: not sent",
    async (status) => {
      const lb = await loopback(json(status, { error: { message: "no" } }));
      const err = await failed(clientFor(lb.url, 2).createWithdrawal(WITHDRAWAL, { idempotencyKey: "k3" }));
      expect(err).toBeInstanceOf(RejectedError);
      expect(err.attempts).toHaveLength(1);
      expect(failureOf(err)).toBe("not_sent");
    },
  );

  it.each([
    [408, "TimeoutError"],
    [409, "IdempotencyConflictError"],
    [500, "ServerError"],
  ])("HTTP %i may have been processed: ambiguous", async (status, name) => {
    const lb = await loopback(json(status, { error: { code: "idempotency_key_in_use" } }));
    const err = await failed(clientFor(lb.url, 0).createWithdrawal(WITHDRAWAL, { idempotencyKey: "k4" }));
    expect(err.name).toBe(name);
    expect(failureOf(err)).toBe("ambiguous");
  });

  it("a 409 for a key used with another body rejects this request: not sent", async () => {
    const lb = await loopback(
      json(409, { error: { code: "idempotency_key_reused", message: "other body" } }),
    );
    const err = await failed(clientFor(lb.url, 2).createWithdrawal(WITHDRAWAL, { idempotencyKey: "k5" }));
    expect(failureOf(err)).toBe("not_sent");
  });

  it("a 2xx the client cannot use is ambiguous: SpacePay did the work", async () => {
    const lb = await loopback(json(201, { unexpected: true }));
    const err = await failed(clientFor(lb.url, 2).createWithdrawal(WITHDRAWAL, { idempotencyKey: "k6" }));
    expect(failureOf(err)).toBe("ambiguous");
  });

  it("an error that is not the pipeline's is ambiguous", () => {
    expect(failureOf(new Error("socket hang up"))).toBe("ambiguous");
    expect(failureOf("weird")).toBe("ambiguous");
  });
});
