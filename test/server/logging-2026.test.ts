// MCP log notifications of API calls on 2026-07-28: a request asks for them with the envelope's
// logLevel and gets them on its own channel (over HTTP its own SSE response stream), for the API
// calls its handler made, and never another caller's. A request that does not ask gets none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/client";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { DEFAULT_BEARER_TOKEN, DEFAULT_SECRET_KEY } from "../../src/simulator/server.js";
import { serveHarness } from "../helpers/http-harness.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import {
  REVISION,
  builtServerEnv,
  httpClient2026,
  mcpName,
  rawHttp,
  stdioClient2026,
  withEnvelope,
  type BuiltServerEnv,
} from "../helpers/mcp2026.js";

const LOG_LEVEL = "io.modelcontextprotocol/logLevel";

interface Logged {
  level: string;
  logger?: string;
  data: { path?: string };
}

let h: Harness;
let http: RunningHttp;
let ids: string[];

beforeAll(async () => {
  h = await startHarness({
    simulator: { samplePayments: 4 },
    env: { SPACEPAY_MCP_HTTP: "true", SPACEPAY_BEARER_TOKEN: DEFAULT_BEARER_TOKEN },
  });
  http = await serveHarness(h);
  ids = (await h.runtime.api.listPayments({ limit: 4 })).data.data.map((p) => p.id);
});
afterAll(async () => {
  await http?.close();
  await h?.close();
});

/** A pinned 2026 client over HTTP that records every log notification it receives. */
async function loggingClient(): Promise<{ client: Client; seen: Logged[] }> {
  const client = await httpClient2026(http.url);
  const seen: Logged[] = [];
  client.setNotificationHandler("notifications/message", (n) => void seen.push(n.params as Logged));
  return { client, seen };
}

const getPayment = (client: Client, paymentId: string, level?: string) =>
  client.callTool({
    name: "get_payment",
    arguments: { paymentId },
    ...(level && { _meta: { [LOG_LEVEL]: level } }),
  });

describe("2026-07-28 over HTTP", () => {
  it("a call that asks at debug gets its API call logged on its own SSE response stream", async () => {
    const params = withEnvelope({
      name: "get_payment",
      arguments: { paymentId: ids[0] },
      _meta: { [LOG_LEVEL]: "debug" },
    });
    const res = await fetch(http.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": REVISION,
        "mcp-method": "tools/call",
        "mcp-name": mcpName("tools/call", params)!,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const messages = (await res.text())
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => JSON.parse(l.slice(5)) as Record<string, any>);
    const logs = messages.filter((m) => m.method === "notifications/message");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]!.params).toMatchObject({ level: "debug", logger: "spacepay-api" });
    expect(logs[0]!.params.data.path).toContain(`/payments/${ids[0]}`);
    // The log comes before the call's own answer, which ends the stream.
    expect(messages.at(-1)).toMatchObject({
      id: 7,
      result: { structuredContent: { payment: { id: ids[0] } } },
    });
    const text = JSON.stringify(logs);
    expect(text).not.toContain(DEFAULT_SECRET_KEY);
    expect(text).not.toContain(DEFAULT_BEARER_TOKEN);
  });

  it("a call that asks but does not accept an event stream gets its plain JSON answer, without logs", async () => {
    const reply = await rawHttp(
      http.url,
      "tools/call",
      { name: "get_payment", arguments: { paymentId: ids[0] }, _meta: { [LOG_LEVEL]: "debug" } },
      { accept: "application/json" },
    );
    expect(reply.headers.get("content-type")).toContain("application/json");
    expect(reply.body.result.structuredContent.payment.id).toBe(ids[0]);
  });

  it("a resource read that asks gets the API calls it made", async () => {
    const { client, seen } = await loggingClient();
    try {
      await client.readResource({ uri: "spacepay://payments/recent", _meta: { [LOG_LEVEL]: "debug" } });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0]).toMatchObject({ level: "debug", logger: "spacepay-api" });
      expect(seen[0]!.data.path).toContain("/payments");
    } finally {
      await client.close();
    }
  });

  it("concurrent callers each get only their own calls' logs, and one that did not ask gets none", async () => {
    // Slow answers, so the three calls are in flight at once.
    const fault = h.sim.control.addFault({
      kind: "latency",
      method: "GET",
      path: "**/payments/*",
      latencyMs: 150,
    });
    const [a, b, quiet] = await Promise.all([loggingClient(), loggingClient(), loggingClient()]);
    try {
      const answers = await Promise.all([
        getPayment(a.client, ids[1]!, "debug"),
        getPayment(b.client, ids[2]!, "debug"),
        getPayment(quiet.client, ids[3]!),
      ]);
      for (const answer of answers) expect(answer.isError).toBeFalsy();
      expect(a.seen.length).toBeGreaterThan(0);
      expect(b.seen.length).toBeGreaterThan(0);
      expect(a.seen.every((m) => m.data.path?.includes(ids[1]!))).toBe(true);
      expect(b.seen.every((m) => m.data.path?.includes(ids[2]!))).toBe(true);
      expect(quiet.seen).toEqual([]);
    } finally {
      h.sim.control.clearFaults(fault.id);
      await Promise.all([a.client.close(), b.client.close(), quiet.client.close()]);
    }
  });

  it("at warning, a successful call gets none and a failing API call gets a warning", async () => {
    const { client, seen } = await loggingClient();
    try {
      await getPayment(client, ids[0]!, "warning");
      expect(seen).toEqual([]);
      // One 503, then the retry succeeds: the failed attempt is the warning, the retry stays quiet.
      const fault = h.sim.control.addFault({
        kind: "error",
        method: "GET",
        path: `**/payments/${ids[0]}`,
        status: 503,
        count: 1,
      });
      const answer = await getPayment(client, ids[0]!, "warning");
      h.sim.control.clearFaults(fault.id);
      expect(answer.isError).toBeFalsy();
      expect(seen.map((m) => [m.level, m.logger])).toEqual([["warning", "spacepay-api"]]);
      expect(seen[0]!.data).toMatchObject({ status: 503 });
    } finally {
      await client.close();
    }
  });
});

describe("2026-07-28 over stdio", () => {
  let env: BuiltServerEnv;
  let stdio: Awaited<ReturnType<typeof stdioClient2026>>;
  const seen: Logged[] = [];
  beforeAll(async () => {
    env = builtServerEnv(h.sim.url);
    stdio = await stdioClient2026(env.env);
    stdio.client.setNotificationHandler("notifications/message", (n) => void seen.push(n.params as Logged));
  });
  afterAll(async () => {
    await stdio?.close();
    env?.remove();
  });

  it("logs a call's API calls only when that call's envelope asks, at the level it asks", async () => {
    await getPayment(stdio.client, ids[0]!);
    expect(seen).toEqual([]);

    await getPayment(stdio.client, ids[1]!, "debug");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((m) => m.level === "debug" && m.data.path?.includes(ids[1]!))).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(DEFAULT_SECRET_KEY);

    seen.length = 0;
    await getPayment(stdio.client, ids[1]!, "warning");
    await getPayment(stdio.client, "00000000-0000-4000-8000-000000000000", "warning");
    expect(seen.map((m) => m.level)).toEqual(["warning"]);
  });
});
