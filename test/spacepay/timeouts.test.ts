// Timeouts and cancellation with real timers: a server that never answers, one that stalls mid-body,
// a refused connection, and the caller's AbortSignal during a request and during a backoff wait.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { SpacePayClient } from "../../src/spacepay/client.js";
import { AbortedError, ConnectionError, TimeoutError } from "../../src/spacepay/errors.js";
import { replies } from "../helpers/loopback.js";
import { fixture, harness, type Harness } from "./harness.js";

let h: Harness | undefined;

describe("timeouts", () => {
  it("a server that never answers ends in a retryable TimeoutError after timeoutMs", async () => {
    h = await harness(replies({ hang: true }), { timeoutMs: 150, maxRetries: 0 });
    const started = Date.now();
    const err = await h.client.getChain(84532).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.server.requests).toHaveLength(1);
  });

  it("a timeout is retried, then a good answer wins", async () => {
    h = await harness(replies({ hang: true }, { status: 200, body: fixture("openapi-chain.json") }), {
      timeoutMs: 150,
      maxRetries: 1,
    });
    const res = await h.client.getChain(84532);
    expect(res.meta.attempts).toBe(2);
    expect(h.events[0]?.error).toMatch(/TimeoutError/);
  });

  it("a body that stalls halfway times out instead of hanging", async () => {
    h = await harness(
      replies({ status: 200, body: fixture("openapi-chain-page.json"), stallAfterBytes: 20 }),
      {
        timeoutMs: 150,
        maxRetries: 0,
      },
    );
    await expect(h.client.listChains()).rejects.toBeInstanceOf(TimeoutError);
  });

  it("a body that trickles in forever is cut by the whole-attempt timeout", async () => {
    h = await harness(replies({ status: 200, trickleMs: 20 }), { timeoutMs: 300, maxRetries: 0 });
    const started = Date.now();
    await expect(h.client.listChains()).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("a refused connection is a retryable ConnectionError, retried maxRetries times", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const sleeps: number[] = [];
    const client = new SpacePayClient({
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 1_000,
      maxRetries: 2,
      random: () => 0,
      sleep: async (ms) => void sleeps.push(ms),
    });
    try {
      const err = await client.listChains().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).retryable).toBe(true);
      expect((err as ConnectionError).code).toBe("ECONNREFUSED");
      expect(sleeps).toEqual([500, 1000]);
    } finally {
      await client.close();
    }
  });
});

describe("cancellation", () => {
  it("aborting mid-request ends it at once with AbortedError and no retry", async () => {
    h = await harness(replies({ hang: true }), { timeoutMs: 10_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    const err = await h.client.getChain(84532, { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.server.requests).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it("aborting during a backoff wait ends the wait (real sleep) without another attempt", async () => {
    const ac = new AbortController();
    h = await harness(replies({ status: 503, headers: { "retry-after": "20" } }), {
      sleep: undefined,
      onRequest: () => setTimeout(() => ac.abort(), 30),
    });
    const started = Date.now();
    const err = await h.client
      .createPayment({ amountInCents: 300, orderId: "o" }, { signal: ac.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(h.server.requests).toHaveLength(1);
  });

  it("an injected sleep that ignores the signal is still cut short by an abort", async () => {
    const ac = new AbortController();
    h = await harness(replies({ status: 503 }), {
      sleep: () => new Promise(() => {}),
      onRequest: () => setTimeout(() => ac.abort(), 20),
    });
    await expect(h.client.listChains({}, { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(h.server.requests).toHaveLength(1);
  });

  it("an already-aborted signal sends nothing", async () => {
    h = await harness();
    const err = await h.client.listChains({}, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).retryable).toBe(false);
    expect(h.server.requests).toHaveLength(0);
  });
});
