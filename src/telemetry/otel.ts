// OpenTelemetry behind the instrumentation points of ../telemetry.ts: loaded (with the official
// @opentelemetry packages) only when the configuration turns traces or metrics on. Server spans and
// the mcp.server.operation.duration histogram follow the MCP semantic conventions; API attempts follow
// the HTTP client conventions. Exported values are names, ids, routes, statuses and counts: never a
// key, token, payment secret, body or error message.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  context,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Tracer,
  ValueType,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
// This module is itself the lazily loaded part: everything OpenTelemetry is imported here, statically.
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtobufMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import { setTraceIdSource } from "../log.js";
import type { TelemetryConfig } from "../config/index.js";
import { installTelemetry, type RequestInfo, type Telemetry, type UpstreamAttempt } from "../telemetry.js";
import { VERSION } from "../version.js";

export interface TelemetryDeps {
  /** The SpacePay API base URL (server.address and server.port of the attempt spans). */
  apiUrl: string;
  /** The rolling withdrawal total in cents, or null while the ledger is not open (not opened for this). */
  withdrawalTotalCents: () => Promise<number | null>;
  /** Webhook deliveries since start (the runtime's counts, as spacepay://account shows them). */
  events: () => { configured: boolean; verified: number; duplicates: number; rejected: number };
  /** The order index's figures (spacepay://account's `index`). */
  index: () => { payments: number; complete: boolean };
}

export interface StartedTelemetry {
  /** GET /metrics, when SPACEPAY_METRICS=prometheus: the Prometheus text format. */
  metricsRoute: ((req: IncomingMessage, res: ServerResponse) => void) | null;
}

/** Path segments kept in a route template; anything else (an id) becomes `{id}`. */
const ROUTE_WORD = /^(v\d+|[a-z]+(-[a-z]+)*)$/;

/** The route template of an API path, so spans and metrics name the route and never an id. */
export function routeOf(path: string): string {
  return path
    .split("/")
    .map((s) => (s === "" || ROUTE_WORD.test(s) ? s : "{id}"))
    .join("/");
}

/** The span name's target and the attributes it implies, by MCP method. */
function targetAttributes(method: string, target: string | undefined): Attributes {
  if (!target) return {};
  if (method === "tools/call") return { "gen_ai.tool.name": target, "gen_ai.operation.name": "execute_tool" };
  if (method === "prompts/get") return { "gen_ai.prompt.name": target };
  if (method === "resources/read") return { "mcp.resource.uri": target };
  return {};
}

/** error.type: a tool result with isError is `tool_error`; a thrown JSON-RPC error its code; else its class. */
function errorType(result: unknown, err: unknown): string | undefined {
  if (err !== undefined) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "number") return String(code);
    return err instanceof Error ? err.name : "_OTHER";
  }
  return (result as { isError?: unknown } | null)?.isError === true ? "tool_error" : undefined;
}

export async function startTelemetry(
  config: TelemetryConfig,
  deps: TelemetryDeps,
): Promise<StartedTelemetry> {
  const resource = resourceFromAttributes({
    "service.name": "spacepay-mcp",
    "service.version": VERSION,
  }).merge(
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the SDK as operators expect.
    detectResources({ detectors: [envDetector] }),
  );
  const json = config.protocol === "http/json";

  let tracer: Tracer | null = null;
  let tracerProvider: BasicTracerProvider | null = null;
  if (config.traces) {
    // The exporter reads the standard endpoint, headers, timeout and compression variables itself.
    const OTLPTraceExporter = json ? JsonTraceExporter : ProtobufTraceExporter;
    tracerProvider = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    // Spans find their parent through the active context, carried by AsyncLocalStorage: its cost is
    // paid only while tracing is on (see server/call-log.ts for why nothing else uses it).
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    tracer = tracerProvider.getTracer("spacepay-mcp", VERSION);
    setTraceIdSource(() => trace.getSpan(context.active())?.spanContext().traceId);
  }

  const readers: IMetricReader[] = [];
  let metricsRoute: StartedTelemetry["metricsRoute"] = null;
  if (config.otlpMetrics) {
    const OTLPMetricExporter = json ? JsonMetricExporter : ProtobufMetricExporter;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: config.metricIntervalMs,
        exportTimeoutMillis: Math.min(30_000, config.metricIntervalMs),
      }),
    );
  }
  if (config.prometheus) {
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    readers.push(prometheus);
    // The edge answers anything but GET, and checks the bearer, before this runs.
    metricsRoute = (req, res) => prometheus.getMetricsRequestHandler(req, res);
  }
  const meterProvider = readers.length ? new MeterProvider({ resource, readers }) : null;
  const meter = meterProvider?.getMeter("spacepay-mcp", VERSION);
  const duration = meter?.createHistogram("mcp.server.operation.duration", {
    unit: "s",
    description: "Duration of MCP requests as the server handled them",
    advice: {
      explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    },
  });
  // Counts, as integers (a Prometheus `_total`).
  const counter = (name: string, description: string) =>
    meter?.createCounter(name, { valueType: ValueType.INT, description });
  const toolCalls = counter("spacepay.tool.calls", "Tool calls by tool and outcome (ok or error)");
  const moneyCalls = counter(
    "spacepay.money.outcomes",
    "Money-moving calls by tool and how they ended (done, refused, failed, declined…)",
  );
  const refusals = counter("spacepay.refusals", "Money-moving calls refused, by the rule that refused them");
  const confirmations = counter("spacepay.confirmations", "Confirmations by channel and outcome");
  const upstream = counter("spacepay.upstream.requests", "SpacePay API attempts by method, route and status");
  const budgetWaits = counter(
    "spacepay.upstream.budget.waits",
    "API attempts that waited for the upstream request budget",
  );
  meter
    ?.createObservableGauge("spacepay.withdrawals.rolling_total", {
      unit: "{cent}",
      valueType: ValueType.INT,
      description: "Withdrawals counted against the rolling 24-hour cap, in cents",
    })
    .addCallback(async (result) => {
      const cents = await deps.withdrawalTotalCents().catch(() => null);
      if (cents !== null) result.observe(cents);
    });

  meter
    ?.createObservableCounter("spacepay.webhook.events", {
      valueType: ValueType.INT,
      description: "Webhook deliveries since start by outcome: verified (new, acted on), duplicate, rejected",
    })
    .addCallback((result) => {
      const e = deps.events();
      if (!e.configured) return;
      result.observe(e.verified, { outcome: "verified" });
      result.observe(e.duplicates, { outcome: "duplicate" });
      result.observe(e.rejected, { outcome: "rejected" });
    });
  meter
    ?.createObservableGauge("spacepay.order_index.payments", {
      unit: "{payment}",
      valueType: ValueType.INT,
      description: "Payments in the order index; complete=true once it covers all history",
    })
    .addCallback((result) => {
      const i = deps.index();
      result.observe(i.payments, { complete: i.complete });
    });

  const propagator = new W3CTraceContextPropagator();
  const parentOf = (info: RequestInfo): Context =>
    info.traceparent
      ? propagator.extract(
          ROOT_CONTEXT,
          { traceparent: info.traceparent, ...(info.tracestate ? { tracestate: info.tracestate } : {}) },
          { get: (carrier, key) => carrier[key as "traceparent"], keys: (carrier) => Object.keys(carrier) },
        )
      : ROOT_CONTEXT;
  const api = new URL(deps.apiUrl);
  const apiPort = Number(api.port || (api.protocol === "https:" ? 443 : 80));

  const impl: Telemetry = {
    request(infoOf, run) {
      const info = infoOf();
      const started = performance.now();
      const attributes: Attributes = {
        "mcp.method.name": info.method,
        "jsonrpc.request.id": String(info.requestId),
        ...(info.protocolVersion && { "mcp.protocol.version": info.protocolVersion }),
        ...(info.sessionId && { "mcp.session.id": info.sessionId }),
        ...targetAttributes(info.method, info.target),
      };
      const parent = parentOf(info);
      const span = tracer?.startSpan(
        info.target ? `${info.method} ${info.target}` : info.method,
        { kind: SpanKind.SERVER, attributes },
        parent,
      );
      const finish = (result: unknown, err?: unknown) => {
        const type = errorType(result, err);
        if (span) {
          if (type) {
            span.setAttribute("error.type", type);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        }
        const metricAttributes: Attributes = {
          "mcp.method.name": info.method,
          ...(info.protocolVersion && { "mcp.protocol.version": info.protocolVersion }),
          ...(info.method === "tools/call" && info.target && { "gen_ai.tool.name": info.target }),
          ...(type && { "error.type": type }),
        };
        duration?.record((performance.now() - started) / 1000, metricAttributes);
        if (info.method === "tools/call" && info.target)
          toolCalls?.add(1, { tool: info.target, outcome: type ? "error" : "ok" });
      };
      let out: unknown;
      try {
        out = span ? context.with(trace.setSpan(parent, span), run) : run();
      } catch (err) {
        finish(undefined, err);
        throw err;
      }
      Promise.resolve(out).then(finish, (err: unknown) => finish(undefined, err));
      return out as ReturnType<typeof run>;
    },

    async step(name, run, describe) {
      if (!tracer) return run();
      return tracer.startActiveSpan(
        `guard ${name}`,
        { attributes: { "spacepay.guard.step": name } },
        async (span) => {
          try {
            const result = await run();
            if (describe) span.setAttributes(describe(result));
            return result;
          } catch (err) {
            span.setAttribute("error.type", err instanceof Error ? err.name : "_OTHER");
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },

    upstream(a: UpstreamAttempt) {
      const route = routeOf(a.path);
      // A failure without a response: the error's class only (its message may quote the response).
      const failure =
        a.status === null ? (a.error?.split(":")[0] ?? "_OTHER") : a.status >= 400 ? String(a.status) : null;
      upstream?.add(1, {
        "http.request.method": a.method,
        "url.template": route,
        ...(a.status !== null ? { "http.response.status_code": a.status } : { "error.type": failure! }),
      });
      if (!tracer) return;
      const end = Date.now();
      const span = tracer.startSpan(
        `${a.method} ${route}`,
        {
          kind: SpanKind.CLIENT,
          startTime: end - a.durationMs,
          attributes: {
            "http.request.method": a.method,
            "url.template": route,
            "server.address": api.hostname,
            "server.port": apiPort,
            ...(a.status !== null && { "http.response.status_code": a.status }),
            ...(a.attempt > 1 && { "http.request.resend_count": a.attempt - 1 }),
            ...(failure && { "error.type": failure }),
          },
        },
        context.active(),
      );
      if (failure) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(end);
    },

    moneyOutcome(o) {
      moneyCalls?.add(1, { tool: o.tool, outcome: o.status });
      if (o.status === "refused") refusals?.add(1, { rule: o.rule ?? "unknown" });
      if (o.channel) confirmations?.add(1, { channel: o.channel, outcome: o.status });
    },

    budgetWait() {
      budgetWaits?.add(1);
    },

    async shutdown() {
      await Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
    },
  };
  installTelemetry(impl);
  return { metricsRoute };
}
