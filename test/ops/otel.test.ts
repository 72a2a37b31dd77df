// OpenTelemetry as an operator turns it on: the built server, pointed by the standard OTEL_* variables
// at a loopback OTLP/HTTP receiver, exports a server span per MCP request (MCP semantic conventions)
// continuing the client's trace, child spans for each SpacePay API attempt and guard step, and the
// metrics; in both OTLP/HTTP encodings, and with no secret in any byte it sends. The collector's own
// credentials (OTEL_EXPORTER_OTLP_HEADERS) reach it and are in no log line.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { requireBuild, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";
import { builtServerEnv, rawHttp, type BuiltServerEnv } from "../helpers/mcp2026.js";
import { BASE_SEPOLIA, RECIPIENT } from "../helpers/mcp-harness.js";

const TOKEN = "otel-test-bearer-0123456789abcdef";
const MERCHANT_KEY = "sk_test_simulator";
// The client's trace: over HTTP in the traceparent header (2025), in the request's _meta (2026-07-28).
const HEADER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const HEADER_PARENT = "00f067aa0ba902b7";
const META_TRACE = "0af7651916cd43dd8448eb211c80319c";
const META_PARENT = "b7ad6b7169203331";

interface Export {
  path: string;
  contentType: string;
  authorization: string | undefined;
  body: Buffer;
}

/** A loopback OTLP/HTTP collector that keeps every request's raw bytes, answering `status`. */
async function receiver(status = 200): Promise<{ url: string; got: Export[]; server: Server }> {
  const got: Export[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const contentType = req.headers["content-type"] ?? "";
      const authorization = req.headers.authorization;
      got.push({ path: req.url ?? "", contentType, authorization, body: Buffer.concat(chunks) });
      res.writeHead(status, {
        "content-type": contentType.includes("json") ? "application/json" : contentType,
      });
      res.end(contentType.includes("json") ? "{}" : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, server };
}

type Attr = { key: string; value: Record<string, unknown> };
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Attr[];
}

const attrs = (list: Attr[]): Record<string, unknown> =>
  Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));

describe.each(["http/json", "http/protobuf"] as const)("OTLP/HTTP export, %s", (protocol) => {
  let sim: SimulatorHandle;
  let collector: Awaited<ReturnType<typeof receiver>>;
  let env: BuiltServerEnv;
  let server: HttpServer;
  let paymentSecret: string;

  beforeAll(async () => {
    requireBuild();
    sim = await startSimulator({ samplePayments: 1 });
    collector = await receiver();
    env = builtServerEnv(sim.url, {
      PATH: process.env.PATH ?? "",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
      // Confirmation off (allowed with an allow-list) so the withdrawal runs every guard step at once.
      SPACEPAY_CONFIRM: "off",
      SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
      SPACEPAY_MAX_PAYMENT_CENTS: "10000",
      SPACEPAY_LOG_FORMAT: "json",
    });
    server = await startHttpServer(env.env);

    const client = new Client({ name: "otel-test", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: {
          headers: {
            authorization: `Bearer ${TOKEN}`,
            traceparent: `00-${HEADER_TRACE}-${HEADER_PARENT}-01`,
          },
        },
      }),
    );
    const made = await client.callTool({
      name: "create_payment",
      arguments: { amountInCents: 2_500, orderId: `otel-${protocol}` },
    });
    expect(made.isError, JSON.stringify(made.content)).toBeFalsy();
    const paymentId = (made.structuredContent as { payment: { id: string } }).payment.id;
    paymentSecret = sim.control.paymentSecret(paymentId)!;
    expect(paymentSecret).toBeTruthy();
    expect((await client.callTool({ name: "get_payment", arguments: { paymentId } })).isError).toBeFalsy();
    const refused = await client.callTool({
      name: "create_payment",
      arguments: { amountInCents: 20_000, orderId: `otel-over-${protocol}` },
    });
    expect(refused.isError).toBe(true);
    const withdrawn = await client.callTool({
      name: "create_withdrawal",
      arguments: { amountInCents: 100, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT },
    });
    expect(withdrawn.isError, JSON.stringify(withdrawn.content)).toBeFalsy();
    await client.close();

    const modern = await rawHttp(
      server.url,
      "tools/call",
      {
        name: "get_payment",
        arguments: { paymentId },
        _meta: { traceparent: `00-${META_TRACE}-${META_PARENT}-01` },
      },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(modern.body.result?.isError, JSON.stringify(modern.body)).toBeFalsy();

    // A graceful stop flushes the spans and metrics before the process exits.
    await server.stop();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    collector?.server.close();
    await sim?.close();
    env?.remove();
  });

  const exportsTo = (signal: "traces" | "metrics") => collector.got.filter((e) => e.path === `/v1/${signal}`);

  it("sends traces and metrics in the configured encoding", () => {
    const type = protocol === "http/json" ? "application/json" : "application/x-protobuf";
    expect(exportsTo("traces").length).toBeGreaterThan(0);
    expect(exportsTo("metrics").length).toBeGreaterThan(0);
    for (const e of collector.got) expect(e.contentType).toBe(type);
  });

  it("holds no merchant key, bearer token or payment secret in any exported byte", () => {
    const all = Buffer.concat(collector.got.map((e) => e.body));
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [MERCHANT_KEY, TOKEN, paymentSecret]) expect(all.includes(secret)).toBe(false);
  });

  it("names the trace in the log lines written while handling a request", () => {
    const lines = server
      .stderr()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const withdrawal = lines.find((l) => l.msg === "money call done: create_withdrawal");
    expect(withdrawal?.trace_id).toBe(HEADER_TRACE);
    // Outside any request (startup) there is no trace to name.
    expect(lines[0]?.trace_id).toBeUndefined();
  });

  if (protocol === "http/protobuf") {
    it("encodes the spans and metrics as protobuf (names, attributes and the client's trace id as bytes)", () => {
      const traces = Buffer.concat(exportsTo("traces").map((e) => e.body));
      for (const text of [
        "tools/call get_payment",
        "mcp.method.name",
        "gen_ai.tool.name",
        "guard reservation",
      ])
        expect(traces.includes(text), text).toBe(true);
      // Protobuf carries ids as raw bytes, not hex text.
      expect(traces.includes(Buffer.from(HEADER_TRACE, "hex"))).toBe(true);
      expect(traces.includes(Buffer.from(META_TRACE, "hex"))).toBe(true);
      expect(traces.includes(HEADER_TRACE)).toBe(false);
      const metrics = Buffer.concat(exportsTo("metrics").map((e) => e.body));
      for (const name of ["mcp.server.operation.duration", "spacepay.refusals", "spacepay.upstream.requests"])
        expect(metrics.includes(name), name).toBe(true);
    });
    return;
  }

  const spans = (): JsonSpan[] =>
    exportsTo("traces").flatMap((e) =>
      (
        JSON.parse(e.body.toString()) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: JsonSpan[] }> }>;
        }
      ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
  const childrenOf = (parent: JsonSpan) => spans().filter((s) => s.parentSpanId === parent.spanId);

  it("exports a tools/call get_payment server span with the MCP attributes, continuing the client's traceparent header", () => {
    const span = spans().find((s) => s.name === "tools/call get_payment" && s.traceId === HEADER_TRACE);
    expect(span).toBeDefined();
    expect(span!.parentSpanId).toBe(HEADER_PARENT);
    expect(span!.kind).toBe(2); // SERVER
    expect(attrs(span!.attributes)).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "get_payment",
      "gen_ai.operation.name": "execute_tool",
      "mcp.protocol.version": expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      "jsonrpc.request.id": expect.any(String),
    });
    expect(attrs(span!.attributes)["error.type"]).toBeUndefined();
    // Its API attempt, by the HTTP client conventions, named by route (never the id).
    const [attempt] = childrenOf(span!);
    expect(attempt?.kind).toBe(3); // CLIENT
    expect(attempt?.name).toBe("GET /v1/external/secretkey-auth/payments/{id}");
    expect(attrs(attempt!.attributes)).toMatchObject({
      "http.request.method": "GET",
      "http.response.status_code": 200,
      "url.template": "/v1/external/secretkey-auth/payments/{id}",
      "server.address": "127.0.0.1",
    });
  });

  it("continues the trace context a 2026-07-28 request carries in _meta", () => {
    const span = spans().find((s) => s.name === "tools/call get_payment" && s.traceId === META_TRACE);
    expect(span?.parentSpanId).toBe(META_PARENT);
    expect(attrs(span!.attributes)["mcp.protocol.version"]).toBe("2026-07-28");
  });

  it("nests a span for each guard step and the API attempt under a money call", () => {
    const span = spans().find((s) => s.name === "tools/call create_withdrawal");
    expect(span?.traceId).toBe(HEADER_TRACE);
    const names = childrenOf(span!).map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "guard policy",
        "guard confirmation",
        "guard reservation",
        "guard audit",
        "POST /v1/external/secretkey-auth/withdrawals",
      ]),
    );
    const confirmation = childrenOf(span!).find((s) => s.name === "guard confirmation");
    expect(attrs(confirmation!.attributes)["spacepay.confirmation.channel"]).toBe("off");
    // A refused call is a tool error on its span.
    const refused = spans().find(
      (s) => s.name === "tools/call create_payment" && attrs(s.attributes)["error.type"] === "tool_error",
    );
    expect(refused).toBeDefined();
  });

  it("exports the metrics: operation duration, tool calls, refusals, confirmations, upstream requests, withdrawal total", () => {
    type Point = { attributes?: Attr[]; asInt?: string | number; asDouble?: number; count?: string | number };
    type Metric = {
      name: string;
      sum?: { dataPoints: Point[] };
      gauge?: { dataPoints: Point[] };
      histogram?: { dataPoints: Point[] };
    };
    const metrics = new Map<string, Point[]>();
    for (const e of exportsTo("metrics")) {
      const body = JSON.parse(e.body.toString()) as {
        resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Metric[] }> }>;
      };
      for (const m of body.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)))
        metrics.set(m.name, (m.sum ?? m.gauge ?? m.histogram)!.dataPoints);
    }
    const points = (name: string, where: Record<string, unknown>) =>
      (metrics.get(name) ?? []).filter((p) =>
        Object.entries(where).every(([k, v]) => attrs(p.attributes ?? [])[k] === v),
      );
    const point = (name: string, where: Record<string, unknown>) => points(name, where)[0];
    // The two get_payment calls, one per protocol revision (a series each).
    const durations = points("mcp.server.operation.duration", {
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "get_payment",
    });
    expect(durations.map((p) => attrs(p.attributes ?? [])["mcp.protocol.version"]).sort()).toEqual([
      "2025-11-25",
      "2026-07-28",
    ]);
    expect(durations.map((p) => Number(p.count))).toEqual([1, 1]);
    expect(Number(point("spacepay.tool.calls", { tool: "create_payment", outcome: "error" })?.asInt)).toBe(1);
    expect(Number(point("spacepay.tool.calls", { tool: "create_payment", outcome: "ok" })?.asInt)).toBe(1);
    expect(Number(point("spacepay.refusals", { rule: "SPACEPAY_MAX_PAYMENT_CENTS" })?.asInt)).toBe(1);
    expect(Number(point("spacepay.confirmations", { channel: "off", outcome: "done" })?.asInt)).toBe(2);
    // The withdrawal's one POST, by its route template and status.
    const posted = points("spacepay.upstream.requests", {
      "http.request.method": "POST",
      "url.template": "/v1/external/secretkey-auth/withdrawals",
    });
    expect(
      posted.map((p) => [attrs(p.attributes ?? [])["http.response.status_code"], Number(p.asInt)]),
    ).toEqual([[expect.any(Number), 1]]);
    expect(Number(point("spacepay.withdrawals.rolling_total", {})?.asInt)).toBe(100);
  });
});

describe("SPACEPAY_METRICS=prometheus: GET /metrics on the HTTP server", () => {
  const METRICS_TOKEN = "metrics-scrape-token-0123456789";
  let sim: SimulatorHandle;
  let env: BuiltServerEnv;
  let server: HttpServer;
  beforeAll(async () => {
    requireBuild();
    sim = await startSimulator({ samplePayments: 1 });
    env = builtServerEnv(sim.url, {
      PATH: process.env.PATH ?? "",
      SPACEPAY_METRICS: "prometheus",
      SPACEPAY_METRICS_TOKEN: METRICS_TOKEN,
      SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
      // No order index backfill: its list requests would race the one the test counts.
      SPACEPAY_INDEX_BACKFILL_MAX: "0",
    });
    server = await startHttpServer(env.env);
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    await sim?.close();
    env?.remove();
  });

  const scrape = (headers: Record<string, string> = {}) =>
    fetch(new URL("/metrics", server.url), { headers, signal: AbortSignal.timeout(10_000) });

  it("answers 401 without the metrics token, and not to the MCP bearer", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${TOKEN}` })).status).toBe(401);
  });

  it("serves the Prometheus text format with the calls made, and no secret", async () => {
    const client = new Client({ name: "prometheus-test", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    expect((await client.callTool({ name: "list_payments", arguments: { limit: 1 } })).isError).toBeFalsy();
    await client.close();
    const res = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE mcp_server_operation_duration histogram$/m);
    expect(text).toMatch(/^spacepay_tool_calls_total\{[^}]*tool="list_payments"[^}]*outcome="ok"[^}]*\} 1/m);
    expect(text).toMatch(
      /^spacepay_upstream_requests_total\{[^}]*url_template="\/v1\/external\/secretkey-auth\/payments"[^}]*\} 1/m,
    );
    for (const secret of [MERCHANT_KEY, TOKEN, METRICS_TOKEN]) expect(text).not.toContain(secret);
    // Tracing stays off: nothing names an OTLP exporter in the log.
    expect(server.stderr()).not.toContain("OTLP");
  });
});

describe("OTEL_EXPORTER_OTLP_HEADERS: the collector's credentials", () => {
  const COLLECTOR_TOKEN = "otlp-collector-token-0123456789abcdef";

  it("reach the collector, and no log line, whatever the log levels, even when the collector refuses them", async () => {
    requireBuild();
    const sim = await startSimulator({ samplePayments: 1 });
    // The collector refuses every export: the failure paths run too.
    const collector = await receiver(401);
    const env = builtServerEnv(sim.url, {
      PATH: process.env.PATH ?? "",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${COLLECTOR_TOKEN}`,
      OTEL_LOG_LEVEL: "debug",
      SPACEPAY_LOG_LEVEL: "debug",
      SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
    });
    let server: HttpServer | undefined;
    try {
      server = await startHttpServer(env.env);
      const listed = await rawHttp(
        server.url,
        "tools/call",
        { name: "list_payments", arguments: { limit: 1 } },
        { authorization: `Bearer ${TOKEN}` },
      );
      expect(listed.body.result?.isError, JSON.stringify(listed.body)).toBeFalsy();
      // The stop flushes the span and the metrics, which the collector refuses.
      await server.stop();
      expect(collector.got.length).toBeGreaterThan(0);
      expect(collector.got.map((e) => e.authorization)).toContain(`Bearer ${COLLECTOR_TOKEN}`);
      const stderr = server.stderr();
      expect(stderr).toMatch(/OpenTelemetry: exporting traces and metrics over OTLP\/HTTP/);
      expect(stderr).not.toContain(COLLECTOR_TOKEN);
    } finally {
      await server?.stop();
      collector.server.close();
      await sim.close();
      env.remove();
    }
  }, 30_000);
});
