// Cancellation over Streamable HTTP, on both eras: a long wait_for_payment that the client cancels
// stops polling SpacePay at once and its HTTP exchange ends. A 2025 client POSTs
// `notifications/cancelled` as a request of its own; a 2026-07-28 client closes the call's stream. A
// money call cancelled while the person is still deciding sends nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client as Client2025 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as Http2025 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { serveHarness, useServedHarness } from "../helpers/http-harness.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import { httpClient2026 } from "../helpers/mcp2026.js";

let h: Harness;
let http: RunningHttp;

beforeAll(async () => {
  h = await startHarness({ simulator: { samplePayments: 0 }, env: { SPACEPAY_MCP_HTTP: "true" } });
  http = await serveHarness(h);
});
afterAll(async () => {
  await http?.close();
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pending payment that will not change (this HTTP server, without a token, offers no money tools). */
async function pendingPayment(): Promise<string> {
  const created = await h.runtime.api.createPayment({ amountInCents: 1500, orderId: `cancel-${Date.now()}` });
  return created.data.payment.id;
}

const polls = (id: string) => h.sim.control.requests({ path: `**/payments/${id}**` }).length;

/** Waits until the server has polled `id` at least once: the call is in its poll loop. */
async function polling(id: string): Promise<void> {
  for (let i = 0; i < 200 && polls(id) === 0; i++) await sleep(10);
  expect(polls(id)).toBeGreaterThan(0);
}

/** After a short bound (a poll already on the wire may still land), SpacePay sees no more polls. */
async function stoppedPolling(id: string): Promise<void> {
  await sleep(150);
  const seen = polls(id);
  await sleep(300);
  expect(polls(id)).toBe(seen);
  expect(h.runtime.watcher.active()).toBe(0);
}

/** Aborts a wait_for_payment on `id` once it is polling: the call fails and the polling stops. */
async function abortWhilePolling(id: string, ac: AbortController, waiting: Promise<unknown>): Promise<void> {
  await polling(id);
  ac.abort("the user moved on");
  await expect(waiting).rejects.toThrow();
  await stoppedPolling(id);
}

/** One raw 2025-era POST, as a stateless client sends it (no session). */
const postLegacy = (body: unknown) =>
  fetch(http.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });

const waitArgs = (paymentId: string) => ({
  name: "wait_for_payment",
  arguments: { paymentId, timeoutSeconds: 60 },
});

describe("cancelling a call over HTTP", () => {
  it.each([
    ["a JSON response", false],
    ["an SSE response (progress asked for)", true],
  ])("2025: notifications/cancelled stops the poll loop (%s)", async (_how, progress) => {
    const client = new Client2025({ name: "sdk-2025", version: "1" });
    await client.connect(new Http2025(new URL(http.url)));
    try {
      const id = await pendingPayment();
      const ac = new AbortController();
      const waiting = client.callTool(waitArgs(id), undefined, {
        signal: ac.signal,
        timeout: 30_000,
        ...(progress && { onprogress: () => {} }),
      });
      await abortWhilePolling(id, ac, waiting);
      // The server still answers this client.
      const next = await client.callTool({ name: "get_payment", arguments: { paymentId: id } });
      expect(next.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("2025: the cancelled call's own HTTP exchange ends, with no answer to the call", async () => {
    const id = await pendingPayment();
    const call = postLegacy({ jsonrpc: "2.0", id: 41, method: "tools/call", params: waitArgs(id) });
    await polling(id);
    const cancel = await postLegacy({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 41, reason: "test" },
    });
    expect(cancel.status).toBe(202);
    const res = await call;
    expect(await res.text()).not.toContain('"id":41');
    await stoppedPolling(id);
  });

  it("2025: a cancellation two calls in progress could mean is ignored: both answer", async () => {
    // Two clients behind one shared identity, each with a call numbered 55: no session tells them apart.
    const [a, b] = [await pendingPayment(), await pendingPayment()];
    const call = (paymentId: string) =>
      postLegacy({
        jsonrpc: "2.0",
        id: 55,
        method: "tools/call",
        params: { name: "wait_for_payment", arguments: { paymentId, timeoutSeconds: 1 } },
      });
    const calls = [call(a), call(b)];
    await Promise.all([polling(a), polling(b)]);
    const cancel = await postLegacy({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 55 },
    });
    expect(cancel.status).toBe(202);
    for (const res of await Promise.all(calls)) {
      expect(JSON.parse(await res.text())).toMatchObject({
        id: 55,
        result: { structuredContent: { timedOut: true } },
      });
    }
  });

  it("2025: a cancellation naming an id no call of this caller has is ignored", async () => {
    const client = new Client2025({ name: "sdk-2025", version: "1" });
    await client.connect(new Http2025(new URL(http.url)));
    try {
      const id = await pendingPayment();
      const waiting = client.callTool(
        { name: "wait_for_payment", arguments: { paymentId: id, timeoutSeconds: 1 } },
        undefined,
        { timeout: 30_000 },
      );
      await polling(id);
      await client.notification({ method: "notifications/cancelled", params: { requestId: 99_999 } });
      const res = (await waiting) as unknown as { structuredContent: { timedOut: boolean } };
      expect(res.structuredContent.timedOut).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("2026-07-28: closing the call's stream stops the poll loop", async () => {
    const client = await httpClient2026(http.url);
    try {
      const id = await pendingPayment();
      const ac = new AbortController();
      const waiting = client.callTool(waitArgs(id), { signal: ac.signal, timeout: 30_000 });
      await abortWhilePolling(id, ac, waiting);
      const next = await client.callTool({ name: "get_payment", arguments: { paymentId: id } });
      expect(next.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});

describe("cancelling a money call over HTTP before it is confirmed", () => {
  const TOKEN = "http-cancel-test-token-0123456789abcdef";
  const { h: money, http: moneyHttp } = useServedHarness(
    { env: { SPACEPAY_CONFIRM: "auto", SPACEPAY_MCP_HTTP: "true", SPACEPAY_MCP_HTTP_TOKEN: TOKEN } },
    { token: TOKEN },
  );

  it("2026-07-28: cancelled while the person decides, a late yes sends nothing", async () => {
    const client = await httpClient2026(
      moneyHttp.url,
      { authorization: `Bearer ${TOKEN}` },
      { elicitation: { form: {} } },
    );
    try {
      // The person answers only when the test says so: after the call was cancelled.
      let answer!: () => void;
      const decided = new Promise<void>((r) => (answer = r));
      let asked = 0;
      client.setRequestHandler("elicitation/create", async () => {
        asked++;
        await decided;
        return { action: "accept", content: { confirm: true } };
      });
      const before = money.sim.control.counts();
      const ac = new AbortController();
      const call = client.callTool(
        {
          name: "create_withdrawal",
          arguments: { amountInCents: 5_000, chainId: "base-sepolia", recipientAddress: RECIPIENT },
        },
        { signal: ac.signal, timeout: 30_000 },
      );
      for (let i = 0; i < 200 && !asked; i++) await sleep(10);
      expect(asked).toBe(1);
      ac.abort("the user moved on");
      // The SDK client settles a cancelled call once its elicitation handler returns; it does not retry.
      answer();
      await expect(call).rejects.toThrow(/moved on/);
      await sleep(300);
      const after = money.sim.control.counts();
      expect(after.withdrawals).toBe(before.withdrawals);
      expect(after.requests).toBe(before.requests);
    } finally {
      await client.close();
    }
  });
});
