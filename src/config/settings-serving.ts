// The settings of a served instance, rows of the table (settings.ts): HTTP and how its callers
// authenticate, OpenTelemetry and metrics, the webhook receiver, and HTTP's limits.
import { def } from "./setting.js";
import {
  bool,
  host,
  hostList,
  int,
  oauthUrl,
  oneOf,
  otlpEndpoint,
  secretString,
  webhookSecrets,
} from "./values.js";

/** OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER: otlp or none, the default decided by the endpoint. */
const otelExporter = (env: string, description: string) =>
  def<"otlp" | "none" | null>({
    env,
    flag: null,
    schema: oneOf(["otlp", "none"]),
    default: null,
    defaultText: "otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none",
    description,
  });

export const SERVING_SETTINGS = {
  mcpHttpToken: def<string | null>({
    env: "SPACEPAY_MCP_HTTP_TOKEN",
    flag: null,
    secret: true,
    schema: secretString("a bearer token for HTTP clients"),
    default: null,
    description:
      "Bearer token HTTP clients must present. Required when --host is not loopback, unless OAuth is set (not both); without either, HTTP offers only read-only tools (no payments, deposits or withdrawals).",
  }),
  oauthIssuer: def<string | null>({
    env: "SPACEPAY_OAUTH_ISSUER",
    flag: "oauth-issuer",
    schema: oauthUrl("the authorization server's issuer URL, exactly as its tokens' iss claim"),
    default: null,
    description:
      "OAuth 2.1 over HTTP: accept access tokens from this issuer (keys found through its RFC 8414 or OpenID metadata). Set with SPACEPAY_OAUTH_AUDIENCE; replaces SPACEPAY_MCP_HTTP_TOKEN.",
  }),
  oauthAudience: def<string | null>({
    env: "SPACEPAY_OAUTH_AUDIENCE",
    flag: "oauth-audience",
    schema: oauthUrl("this server's public MCP URL, e.g. https://mcp.example.com/mcp"),
    namesThisServer: true,
    default: null,
    description:
      "OAuth 2.1 over HTTP: the resource (RFC 8707) tokens must name in aud, and the resource in the protected-resource metadata. Set with SPACEPAY_OAUTH_ISSUER.",
  }),
  oauthMaxTokenLifetime: def<number>({
    env: "SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS",
    flag: "oauth-max-token-lifetime-seconds",
    schema: int(60, 31_536_000),
    default: 86_400,
    defaultText: "86400 (one day)",
    description:
      "OAuth 2.1 over HTTP: the longest lifetime (exp minus iat) an access token may have; a longer-lived token is refused, so a leaked one stops working soon.",
  }),
  http: def<boolean>({
    env: "SPACEPAY_MCP_HTTP",
    flag: "http",
    schema: bool(),
    default: false,
    defaultText: "false (stdio)",
    description:
      "Serve MCP over Streamable HTTP instead of stdio (money-moving tools only with SPACEPAY_MCP_HTTP_TOKEN or OAuth).",
  }),
  port: def<number>({
    env: "SPACEPAY_MCP_PORT",
    flag: "port",
    schema: int(0, 65_535, "0 picks a free port, logged at startup"),
    default: 3000,
    description: "HTTP port (with --http).",
  }),
  host: def<string>({
    env: "SPACEPAY_MCP_HOST",
    flag: "host",
    schema: host("anything but 127.0.0.1, localhost or ::1 needs SPACEPAY_MCP_HTTP_TOKEN or OAuth"),
    default: "127.0.0.1",
    description: "HTTP bind address (with --http).",
  }),
  allowedHosts: def<string[]>({
    env: "SPACEPAY_MCP_ALLOWED_HOSTS",
    flag: "allowed-hosts",
    schema: hostList("host names, without the port"),
    default: [],
    defaultText:
      "none beyond the loopback names and the hosts of SPACEPAY_OAUTH_AUDIENCE and SPACEPAY_PUBLIC_URL",
    description:
      "Bound to loopback, HTTP requests whose Host or Origin names another host are refused (DNS rebinding); these names are accepted too, e.g. the public name a reverse proxy on this machine passes on.",
  }),
  // OpenTelemetry: the standard SDK variables decide whether anything is exported; the SDK itself reads
  // the rest of them (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, …).
  otelDisabled: def<boolean>({
    env: "OTEL_SDK_DISABLED",
    flag: null,
    schema: bool(),
    default: false,
    description: "OpenTelemetry: true turns traces and OTLP metrics off whatever else is set.",
  }),
  otelEndpoint: def<string | null>({
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    flag: null,
    schema: otlpEndpoint(),
    default: null,
    description:
      "OpenTelemetry: the OTLP/HTTP collector; setting it turns on traces and metrics (unless OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER says none).",
  }),
  otelProtocol: def<"http/protobuf" | "http/json">({
    env: "OTEL_EXPORTER_OTLP_PROTOCOL",
    flag: null,
    schema: oneOf(["http/protobuf", "http/json"]),
    default: "http/protobuf",
    description: "OpenTelemetry: the OTLP/HTTP encoding (gRPC is not offered).",
  }),
  otelTracesExporter: otelExporter(
    "OTEL_TRACES_EXPORTER",
    "OpenTelemetry: otlp exports a span per MCP request (to localhost:4318 without an endpoint).",
  ),
  otelMetricsExporter: otelExporter(
    "OTEL_METRICS_EXPORTER",
    "OpenTelemetry: otlp pushes the metrics every OTEL_METRIC_EXPORT_INTERVAL.",
  ),
  otelMetricInterval: def<number>({
    env: "OTEL_METRIC_EXPORT_INTERVAL",
    flag: null,
    schema: int(1_000, 86_400_000, "milliseconds"),
    default: 60_000,
    description: "OpenTelemetry: how often OTLP metrics are pushed.",
  }),
  metrics: def<"none" | "prometheus">({
    env: "SPACEPAY_METRICS",
    flag: "metrics",
    schema: oneOf(["none", "prometheus"]),
    default: "none",
    description:
      "prometheus serves the metrics at GET /metrics (with --http), in the Prometheus text format.",
  }),
  metricsToken: def<string | null>({
    env: "SPACEPAY_METRICS_TOKEN",
    flag: null,
    secret: true,
    file: true,
    schema: secretString("a bearer token for the metrics scraper"),
    default: null,
    defaultText: "none (GET /metrics needs no token)",
    description: "Bearer token GET /metrics requires (with SPACEPAY_METRICS=prometheus).",
  }),
  webhookSecret: def<string[] | null>({
    env: "SPACEPAY_WEBHOOK_SECRET",
    flag: null,
    secret: true,
    file: true,
    schema: webhookSecrets(),
    default: null,
    defaultText: "none (no webhook endpoint)",
    description:
      "With --http, serves POST /webhooks/spacepay for SpacePay's signed events (payment and withdrawal changes), which wake watchers at once and fill the order index; with SPACEPAY_DATABASE_URL, every instance's watchers (LISTEN/NOTIFY). Two comma-separated secrets (new,old) during a rotation. Makes the default poll interval 60000.",
  }),
  webhookToleranceSeconds: def<number>({
    env: "SPACEPAY_WEBHOOK_TOLERANCE_SECONDS",
    flag: "webhook-tolerance-seconds",
    schema: int(10, 86_400),
    default: 300,
    description:
      "How far a webhook delivery's X-SpacePay-Timestamp may be from now, in seconds; an older (or later) one is refused as a possible replay.",
  }),
  httpMaxBodyBytes: def<number>({
    env: "SPACEPAY_MCP_HTTP_MAX_BODY_BYTES",
    flag: "http-max-body-bytes",
    schema: int(1_024, 67_108_864),
    default: 4_194_304,
    defaultText: "4194304 (4 MiB)",
    description:
      "HTTP: the largest request body read, counted as it arrives (413 past it); read only once the caller is authenticated.",
  }),
  httpHeadersTimeoutMs: def<number>({
    env: "SPACEPAY_MCP_HTTP_HEADERS_TIMEOUT_MS",
    flag: "http-headers-timeout-ms",
    schema: int(100, 600_000),
    default: 10_000,
    description:
      "HTTP: a connection whose request headers are not complete this long after it began is closed (at most the request timeout).",
  }),
  httpRequestTimeoutMs: def<number>({
    env: "SPACEPAY_MCP_HTTP_REQUEST_TIMEOUT_MS",
    flag: "http-request-timeout-ms",
    schema: int(100, 600_000),
    default: 30_000,
    description:
      "HTTP: a request not fully received (headers and body) this long after it began is answered 408 and its connection closed; the answer itself may take longer.",
  }),
  httpKeepAliveTimeoutMs: def<number>({
    env: "SPACEPAY_MCP_HTTP_KEEPALIVE_TIMEOUT_MS",
    flag: "http-keepalive-timeout-ms",
    schema: int(100, 600_000),
    default: 5_000,
    description: "HTTP: an idle kept-alive connection is closed after this long without a new request.",
  }),
  httpMaxConnections: def<number>({
    env: "SPACEPAY_MCP_HTTP_MAX_CONNECTIONS",
    flag: "http-max-connections",
    schema: int(1, 1_000_000),
    default: 1_024,
    description:
      "HTTP: open connections at once, in total (listen streams included); past it, new ones are closed on arrival.",
  }),
  httpMaxConnectionsPerClient: def<number>({
    env: "SPACEPAY_MCP_HTTP_MAX_CONNECTIONS_PER_CLIENT",
    flag: "http-max-connections-per-client",
    schema: int(1, 1_000_000),
    default: 128,
    description:
      "HTTP: open connections at once from one client address; past it, new ones are closed on arrival. Behind a reverse proxy every request comes from the proxy's address: raise it to the total.",
  }),
};
