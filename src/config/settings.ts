// The settings table: every setting is one row (variable, flag, value schema, default, description).
// What a row accepts comes from its schema (values.ts); rules across settings are in rules.ts.
import { LOG_FORMAT_SOURCE, type LogFormat, type LogLevel } from "../log.js";
import { SPACEPAY_API, type AllowlistEntry, type ConfirmMode } from "../domain.js";
import { defaultStateDir, type StateDirContext } from "../state-dir.js";
import {
  allowlist,
  apiUrl,
  bool,
  databaseUrl,
  directory,
  host,
  int,
  hostList,
  list,
  merchantKey,
  oauthUrl,
  oneOf,
  otlpEndpoint,
  pattern,
  publicUrl,
  secretString,
  stateKey,
  webhookSecrets,
  type Value,
} from "./values.js";

/** The payment poll interval when SPACEPAY_POLL_INTERVAL_MS is not set. */
export const DEFAULT_POLL_INTERVAL_MS = 2_000;
/** The same with a webhook secret set: events wake watchers at once, and polling is the safety net. */
export const WEBHOOK_POLL_INTERVAL_MS = 60_000;

/** Where a value came from, for diagnostics ("config show", logs). */
export type Source = "flag" | "env" | "file" | "default";

export interface SettingDef<T> {
  env: string;
  /** Kebab-case flag name; null for secrets (argv is visible to other users of the machine). */
  flag: string | null;
  /** Never echoed in messages, registered with the logger's redaction. */
  secret?: boolean;
  /** Also readable from `${env}_FILE` (trimmed file content). */
  file?: boolean;
  /** Parses the raw string; its description is what is accepted, in words (errors and help). */
  schema: Value<T>;
  /** Used when neither flag nor environment sets it. */
  default: T | ((ctx: StateDirContext) => T);
  /** A URL by which clients reach this server: its host joins the HTTP Host allow-list. */
  namesThisServer?: boolean;
  /** The default as shown in help, when plain `String(default)` (or "none" for null) does not say it. */
  defaultText?: string;
  description: string;
}

const def = <T>(d: SettingDef<T>): SettingDef<T> => d;

export const SETTINGS = {
  secretKey: def<string | null>({
    env: "SPACEPAY_SECRET_KEY",
    flag: null,
    secret: true,
    file: true,
    schema: merchantKey(),
    default: null,
    defaultText: "none (demo mode)",
    description:
      "Merchant secret key; its prefix picks test or live mode. Without it the server runs the demo.",
  }),
  apiUrl: def<string>({
    env: "SPACEPAY_API_URL",
    flag: "api-url",
    schema: apiUrl(),
    default: SPACEPAY_API.live,
    description: "SpacePay API base URL (the client adds /v1/...).",
  }),
  bearerToken: def<string | null>({
    env: "SPACEPAY_BEARER_TOKEN",
    flag: null,
    secret: true,
    file: true,
    schema: secretString("a dashboard bearer JWT"),
    default: null,
    description:
      "Dashboard bearer token; only the withdrawal-config route uses it (with SPACEPAY_MERCHANT_ID).",
  }),
  merchantId: def<string | null>({
    env: "SPACEPAY_MERCHANT_ID",
    flag: "merchant-id",
    schema: pattern(/^[A-Za-z0-9_-]+$/, "is not a merchant id", "the merchant id (letters, digits, - and _)"),
    default: null,
    description: "Merchant id, for the withdrawal-config route.",
  }),
  timeoutMs: def<number>({
    env: "SPACEPAY_TIMEOUT_MS",
    flag: "timeout-ms",
    schema: int(100, 600_000),
    default: 15_000,
    description: "Per-attempt HTTP timeout (connect, headers, body, whole attempt), in ms.",
  }),
  maxRetries: def<number>({
    env: "SPACEPAY_MAX_RETRIES",
    flag: "max-retries",
    schema: int(0, 10),
    default: 2,
    description: "Retries for failed requests that are safe to repeat.",
  }),
  apiBudgetPerSecond: def<number>({
    env: "SPACEPAY_API_BUDGET_PER_SECOND",
    flag: "api-budget-per-second",
    schema: int(1, 1_000),
    default: 10,
    description:
      "Requests per second this instance sends SpacePay for background and watch work (payment polls, listen look-ups, reconciliation); interactive and money calls never wait for it. A 429 pauses it for the Retry-After and halves it for a while.",
  }),
  indexBackfillMax: def<number>({
    env: "SPACEPAY_INDEX_BACKFILL_MAX",
    flag: "index-backfill-max",
    schema: int(0, 100_000_000),
    default: 1_000_000,
    description:
      "Payments the order index's one-time backfill reads at most, newest first, within SPACEPAY_API_BUDGET_PER_SECOND (0: no backfill). Lookups by orderId or date older than what it reached fall back to a bounded scan.",
  }),
  maxWatchesPerCaller: def<number>({
    env: "SPACEPAY_MAX_WATCHES_PER_CALLER",
    flag: "max-watches-per-caller",
    schema: int(1, 10_000),
    default: 50,
    description:
      "Payments one caller may watch at once, by subscriptions/listen, resources/subscribe and wait_for_payment together (each payment once); past it the caller is refused. With OAuth a caller is a token subject; otherwise all of an instance's clients are one caller.",
  }),
  pollIntervalMs: def<number | null>({
    env: "SPACEPAY_POLL_INTERVAL_MS",
    flag: "poll-interval-ms",
    schema: int(250, 600_000),
    // Decided in load.ts (from webhookEventsReach), where other settings can weigh in.
    default: null,
    defaultText: `${DEFAULT_POLL_INTERVAL_MS}; ${WEBHOOK_POLL_INTERVAL_MS} with SPACEPAY_WEBHOOK_SECRET and --http or SPACEPAY_DATABASE_URL`,
    description:
      "How often a watched payment's status is read, in ms (one read per payment, however many watch it; within SPACEPAY_API_BUDGET_PER_SECOND). With webhooks, an event makes the read at once, and each interval one list request per open status covers every watched payment (the safety net).",
  }),
  stateDir: def<string>({
    env: "SPACEPAY_STATE_DIR",
    flag: "state-dir",
    schema: directory(),
    default: defaultStateDir,
    // Says what defaultStateDir() does, platform by platform.
    defaultText:
      "$XDG_DATA_HOME/spacepay-mcp, else ~/.local/share/spacepay-mcp; macOS: ~/Library/Application Support/spacepay-mcp; Windows: %APPDATA%\\spacepay-mcp",
    description:
      "Where durable state lives: payment secrets, the withdrawal ledger, confirmation tokens (hashed), audit.jsonl. Demo mode uses its demo/ subfolder.",
  }),
  stateKey: def<Buffer | null>({
    env: "SPACEPAY_STATE_KEY",
    flag: null,
    secret: true,
    file: true,
    schema: stateKey(),
    default: null,
    defaultText: "generated once into the state directory (state.key)",
    description:
      "Key sealing payment secrets at rest (AES-256-GCM). Give every instance sharing state the same key.",
  }),
  databaseUrl: def<string | null>({
    env: "SPACEPAY_DATABASE_URL",
    flag: null,
    // It carries the database password.
    secret: true,
    file: true,
    schema: databaseUrl(),
    default: null,
    defaultText: "none (SQLite in SPACEPAY_STATE_DIR)",
    description:
      "PostgreSQL for all durable state (ledger, tokens, payment secrets, audit), shared by every instance that uses it.",
  }),
  confirm: def<ConfirmMode>({
    env: "SPACEPAY_CONFIRM",
    flag: "confirm",
    schema: oneOf(["auto", "elicitation", "token", "off"]),
    default: "auto",
    description: "How money-moving calls are confirmed by the human.",
  }),
  confirmTimeoutMs: def<number>({
    env: "SPACEPAY_CONFIRM_TIMEOUT_MS",
    flag: "confirm-timeout-ms",
    schema: int(1_000, 3_600_000),
    default: 120_000,
    description: "How long an elicitation confirmation waits for the human, in ms.",
  }),
  confirmTtlSeconds: def<number>({
    env: "SPACEPAY_CONFIRM_TTL_SECONDS",
    flag: "confirm-ttl-seconds",
    schema: int(10, 86_400),
    default: 600,
    description: "How long a confirmation token stays valid, in seconds.",
  }),
  publicUrl: def<string | null>({
    env: "SPACEPAY_PUBLIC_URL",
    flag: "public-url",
    schema: publicUrl(),
    namesThisServer: true,
    default: null,
    defaultText: "none (stdio serves the pages on http://localhost)",
    description:
      "Where people open approval pages over HTTP (<url>/approvals/…); its host name is the passkeys' relying-party id and is accepted by the Host check.",
  }),
  approval: def<"host" | "passkey">({
    env: "SPACEPAY_APPROVAL",
    flag: "approval",
    schema: oneOf(["host", "passkey"]),
    default: "host",
    description:
      "Who approves withdrawals: host (the client's confirmation, SPACEPAY_CONFIRM) or passkey (an enrolled approver on the server's own page).",
  }),
  secondApproverAboveCents: def<number | null>({
    env: "SPACEPAY_SECOND_APPROVER_ABOVE_CENTS",
    flag: "second-approver-above-cents",
    schema: int(0, 10_000_000_000, "cents"),
    default: null,
    defaultText: "none (one approver)",
    description:
      "With SPACEPAY_APPROVAL=passkey, withdrawals above this many cents need two distinct approvers.",
  }),
  approvalPort: def<number>({
    env: "SPACEPAY_APPROVAL_PORT",
    flag: "approval-port",
    schema: int(0, 65_535, "0 picks a free port"),
    default: 0,
    description:
      "With stdio and SPACEPAY_APPROVAL=passkey, the loopback port of the approval pages (http://localhost:<port>).",
  }),
  maxWithdrawalCents: def<number>({
    env: "SPACEPAY_MAX_WITHDRAWAL_CENTS",
    flag: "max-withdrawal-cents",
    schema: int(0, 100_000_000, "cents"),
    default: 100_000,
    defaultText: "100000 ($1,000.00)",
    description: "Largest single withdrawal, in cents.",
  }),
  dailyWithdrawalLimitCents: def<number>({
    env: "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS",
    flag: "daily-withdrawal-limit-cents",
    schema: int(0, 10_000_000_000, "cents"),
    default: 500_000,
    defaultText: "500000 ($5,000.00)",
    description:
      "Total withdrawn through this server in any rolling 24 hours, across every process sharing the state directory, in cents.",
  }),
  maxPaymentCents: def<number>({
    env: "SPACEPAY_MAX_PAYMENT_CENTS",
    flag: "max-payment-cents",
    schema: int(0, 100_000_000, "cents"),
    default: 100_000_000,
    defaultText: "100000000 ($1,000,000.00)",
    description: "Largest payment request, in cents.",
  }),
  withdrawalAllowlist: def<AllowlistEntry[]>({
    env: "SPACEPAY_WITHDRAWAL_ALLOWLIST",
    flag: "withdrawal-allowlist",
    schema: allowlist(),
    default: [],
    defaultText: "empty (any address, with confirmation)",
    description: "Recipient addresses withdrawals may go to; when set, every other address is refused.",
  }),
  allowLiveWithdrawals: def<boolean>({
    env: "SPACEPAY_ALLOW_LIVE_WITHDRAWALS",
    flag: "allow-live-withdrawals",
    schema: bool(),
    default: false,
    description: "With a live key, create_withdrawal is registered only when this is true.",
  }),
  readOnly: def<boolean>({
    env: "SPACEPAY_READ_ONLY",
    flag: "read-only",
    schema: bool(),
    default: false,
    description:
      "Only tools annotated read-only are registered (no payments, deposits, quotes, withdrawals); wins over all.",
  }),
  tools: def<string[] | null>({
    env: "SPACEPAY_TOOLS",
    flag: "tools",
    schema: list("tool names"),
    default: null,
    defaultText: "all tools",
    description: "Register only these tools; an unknown name stops startup with the valid names.",
  }),
  excludeTools: def<string[]>({
    env: "SPACEPAY_EXCLUDE_TOOLS",
    flag: "exclude-tools",
    schema: list("tool names"),
    default: [],
    defaultText: "none",
    description: "Never register these tools.",
  }),
  logLevel: def<LogLevel>({
    env: "SPACEPAY_LOG_LEVEL",
    flag: "log-level",
    schema: oneOf(["debug", "info", "warn", "error"]),
    default: "info",
    description: "Lowest level written to the stderr log.",
  }),
  logFormat: def<LogFormat>({
    // The log reads these before the configuration loads (presetLogFormat).
    ...LOG_FORMAT_SOURCE,
    schema: oneOf(["text", "json"]),
    default: "text",
    description:
      "stderr log lines: text (timestamp, level, message) or json (one object per line: time, level, msg, fields, trace_id when tracing).",
  }),
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
  otelTracesExporter: def<"otlp" | "none" | null>({
    env: "OTEL_TRACES_EXPORTER",
    flag: null,
    schema: oneOf(["otlp", "none"]),
    default: null,
    defaultText: "otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none",
    description:
      "OpenTelemetry: otlp exports a span per MCP request (to localhost:4318 without an endpoint).",
  }),
  otelMetricsExporter: def<"otlp" | "none" | null>({
    env: "OTEL_METRICS_EXPORTER",
    flag: null,
    schema: oneOf(["otlp", "none"]),
    default: null,
    defaultText: "otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none",
    description: "OpenTelemetry: otlp pushes the metrics every OTEL_METRIC_EXPORT_INTERVAL.",
  }),
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

export type Settings = {
  [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never;
};
export type SettingKey = keyof Settings;

/** The table as entries, for code that walks every setting. */
export const settingEntries = (): Array<[SettingKey, SettingDef<unknown>]> =>
  Object.entries(SETTINGS) as Array<[SettingKey, SettingDef<unknown>]>;
