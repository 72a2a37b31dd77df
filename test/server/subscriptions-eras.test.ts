// Issue 13 item 5: payment status subscriptions on both protocol eras, over one poll loop. A 2025 v1
// client on stdio (resources/subscribe) and 2026-07-28 clients over HTTP and stdio
// (subscriptions/listen) each see a pending payment complete, and polling stops after; two watchers
// of one payment share one poll per interval.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client as Client2025 } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as Stdio2025 } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/client";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { createPaymentWatcher } from "../../src/server/payment-watch.js";
import type { PaymentStatus } from "../../src/spacepay/types.js";
import { serveHarness } from "../helpers/http-harness.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import {
  CLI,
  builtServerEnv,
  envelope,
  httpClient2026,
  rawStdio,
  stdioClient2026,
  type BuiltServerEnv,
} from "../helpers/mcp2026.js";

const PAYMENTS_PATH = "/v1/external/secretkey-auth/payments";
/** The built CLI polls at the shortest interval SPACEPAY_POLL_INTERVAL_MS allows. */
const CLI_POLL_MS = 250;

let h: Harness;
let http: RunningHttp;
let stdio: BuiltServerEnv;

beforeAll(async () => {
  h = await startHarness({ simulator: { processingMs: 0 } }); // the runtime polls every 30 ms
  http = await serveHarness(h);
  stdio = builtServerEnv(h.sim.url, { SPACEPAY_POLL_INTERVAL_MS: String(CLI_POLL_MS) });
});
afterAll(async () => {
  await http?.close();
  await h?.close();
  stdio?.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
}

async function newPayment(orderId: string): Promise<string> {
  const res = await h.call("create_payment", { amountInCents: 1_000, orderId });
  return res.structuredContent.payment.id;
}

/** GETs of this one payment (merchant route) the simulator received. */
const polls = (id: string) =>
  h.sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${id}` }).length;

/** Pays `id`, waits for `updates` to name its URI, then proves nothing polls it any more. */
async function completeAndSettle(id: string, updates: string[], intervalMs: number): Promise<void> {
  const uri = `spacepay://payments/${id}`;
  await h.sim.control.pay(id, { outcome: "exact", wait: true });
  await until(() => updates.includes(uri), intervalMs * 3 + 5_000);
  expect(updates).toContain(uri);
  await sleep(intervalMs / 2 + 50); // a poll already in flight lands
  const settled = polls(id);
  await sleep(intervalMs * 2 + 100); // two intervals more
  expect(polls(id)).toBe(settled);
}

describe("2025-11-25: resources/subscribe on stdio", () => {
  it("a v1 client hears a pending payment complete, and polling stops", async () => {
    const transport = new Stdio2025({
      command: process.execPath,
      args: [CLI],
      env: { PATH: process.env.PATH ?? "", ...stdio.env },
      stderr: "pipe",
    });
    const client = new Client2025({ name: "v1-subscriber", version: "1" });
    await client.connect(transport);
    try {
      const updates: string[] = [];
      client.setNotificationHandler(
        ResourceUpdatedNotificationSchema,
        (n) => void updates.push(n.params.uri),
      );
      const id = await newPayment("subs-2025-stdio");
      await client.subscribeResource({ uri: `spacepay://payments/${id}` });
      await completeAndSettle(id, updates, CLI_POLL_MS);
      expect(updates.filter((u) => u.endsWith(id))).toHaveLength(1);
    } finally {
      await client.close();
    }
  }, 30_000);
});

describe("2026-07-28: subscriptions/listen", () => {
  async function listenFlow(client: Client, orderId: string, intervalMs: number) {
    const updates: string[] = [];
    client.setNotificationHandler("notifications/resources/updated", (n) => void updates.push(n.params.uri));
    const id = await newPayment(orderId);
    const uri = `spacepay://payments/${id}`;
    const sub = await client.listen({ resourceSubscriptions: [uri] });
    expect(sub.honoredFilter.resourceSubscriptions).toEqual([uri]);
    await completeAndSettle(id, updates, intervalMs);
    await sub.close();
  }

  it("over HTTP: the listen stream carries the update, and polling stops", async () => {
    const client = await httpClient2026(http.url);
    try {
      await listenFlow(client, "subs-2026-http", 30);
    } finally {
      await client.close();
    }
  }, 30_000);

  it("over stdio: the listen stream carries the update, and polling stops", async () => {
    const { client, close } = await stdioClient2026(stdio.env);
    try {
      await listenFlow(client, "subs-2026-stdio", CLI_POLL_MS);
    } finally {
      await close();
    }
  }, 30_000);

  it("closing the stream stops polling a payment that is still pending", async () => {
    const client = await httpClient2026(http.url);
    try {
      const id = await newPayment("subs-2026-close");
      const sub = await client.listen({ resourceSubscriptions: [`spacepay://payments/${id}`] });
      await until(() => polls(id) > 2, 5_000);
      expect(h.runtime.watcher.active()).toBe(1);
      await sub.close();
      await until(() => h.runtime.watcher.active() === 0, 5_000);
      expect(h.runtime.watcher.active()).toBe(0);
      await sleep(50);
      const settled = polls(id);
      await sleep(200);
      expect(polls(id)).toBe(settled);
    } finally {
      await client.close();
    }
  }, 30_000);
});

describe("2026-07-28: a listen the SDK refuses watches nothing", () => {
  it("over stdio: refused for its filter or its protocol version, the payment is not polled", async () => {
    const server = rawStdio(stdio.env);
    try {
      const id = await newPayment("subs-2026-refused");
      const uri = `spacepay://payments/${id}`;
      // Pins the connection to 2026-07-28, as a client's first request does.
      expect((await server.request("tools/list")).result.tools.length).toBeGreaterThan(0);
      const badFilter = await server.request("subscriptions/listen", {
        notifications: { resourceSubscriptions: [uri, 42] },
      });
      expect(badFilter.error.code).toBe(-32602);
      const badVersion = await server.send({
        id: "listen-old",
        method: "subscriptions/listen",
        params: {
          notifications: { resourceSubscriptions: [uri] },
          _meta: { ...envelope(), "io.modelcontextprotocol/protocolVersion": "2099-01-01" },
        },
      });
      expect(badVersion.error).toBeDefined();
      // At most the one look-up before the SDK answered, and nothing over two poll intervals after.
      await sleep(200);
      const settled = polls(id);
      expect(settled).toBeLessThanOrEqual(1);
      await sleep(CLI_POLL_MS * 2 + 200);
      expect(polls(id)).toBe(settled);
    } finally {
      server.close();
    }
  }, 30_000);
});

describe("one poll loop", () => {
  it("two watchers of one payment cause one poll per interval, and the loop stops at the final status", async () => {
    const id = await newPayment("subs-one-loop");
    const watcher = createPaymentWatcher(h.runtime.api, 30);
    const seen: Record<"a" | "b", PaymentStatus[]> = { a: [], b: [] };
    const leave = new AbortController();
    const before = polls(id);
    watcher.watch(id, { onStatus: (s) => void seen.a.push(s) }, leave.signal);
    watcher.watch(id, { onStatus: (s) => void seen.b.push(s) }, leave.signal);
    try {
      await until(() => seen.a.length >= 3, 5_000);
      await h.sim.control.pay(id, { outcome: "exact", wait: true });
      await until(() => watcher.active() === 0, 5_000);
      expect(watcher.active()).toBe(0);
      // Each poll was one GET, heard by both watchers.
      expect(polls(id) - before).toBe(seen.a.length);
      expect(seen.b).toEqual(seen.a);
      expect(seen.a.at(-1)).toBe("completed");
      const settled = polls(id);
      await sleep(150);
      expect(polls(id)).toBe(settled);
    } finally {
      leave.abort();
      watcher.close();
    }
  }, 15_000);

  it("the last watcher leaving stops the loop", async () => {
    const id = await newPayment("subs-leave");
    const watcher = createPaymentWatcher(h.runtime.api, 30);
    const a = new AbortController();
    const b = new AbortController();
    let heard = 0;
    watcher.watch(id, { onStatus: () => void heard++ }, a.signal);
    watcher.watch(id, { onStatus: () => {} }, b.signal);
    try {
      await until(() => heard >= 2, 5_000);
      a.abort();
      expect(watcher.active()).toBe(1);
      b.abort();
      expect(watcher.active()).toBe(0);
      await sleep(50);
      const settled = polls(id);
      await sleep(150);
      expect(polls(id)).toBe(settled);
    } finally {
      watcher.close();
    }
  }, 15_000);
});
