// Cancellation over Streamable HTTP, on both eras: a long wait_for_payment that the client cancels
// stops polling SpacePay at once and its HTTP exchange ends. A 2025 client POSTs
// `notifications/cancelled` as a request of its own; a 2026-07-28 client closes the call's stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client as Client2025 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as Http2025 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { serveHttp, type RunningHttp } from "../../src/http/serve-http.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { httpClient2026 } from "../helpers/mcp2026.js";

let h: Harness;
let http: RunningHttp;

beforeAll(async () => {
  h = await startHarness({ simulator: { samplePayments: 0 }, env: { SPACEPAY_MCP_HTTP: "true" } });
  http = await serveHttp({
    host: "127.0.0.1",
    port: 0,
    token: null,
    newServer: (principal, era) => h.runtime.newServer({ stateless: true, principal, era }),
  });
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
      await polling(id);
      ac.abort("the user moved on");
      await expect(waiting).rejects.toThrow();
      await stoppedPolling(id);
      // The server still answers this client.
      const next = await client.callTool({ name: "get_payment", arguments: { paymentId: id } });
      expect(next.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("2025: the cancelled call's own HTTP exchange ends, with no answer to the call", async () => {
    const id = await pendingPayment();
    const post = (body: unknown) =>
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
    const call = post({ jsonrpc: "2.0", id: 41, method: "tools/call", params: waitArgs(id) });
    await polling(id);
    const cancel = await post({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 41, reason: "test" },
    });
    expect(cancel.status).toBe(202);
    const res = await call;
    expect(await res.text()).not.toContain('"id":41');
    await stoppedPolling(id);
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
      await polling(id);
      ac.abort("the user moved on");
      await expect(waiting).rejects.toThrow();
      await stoppedPolling(id);
      const next = await client.callTool({ name: "get_payment", arguments: { paymentId: id } });
      expect(next.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
