// The settings table: every setting is one row (variable, flag, value schema, default, description;
// setting.ts says what a row is). The client's, state's, safety's, tools' and log's rows are here, a
// served instance's in settings-serving.ts. What a row accepts comes from its schema (values.ts);
// rules across settings are in rules.ts.
import { LOG_FORMAT_SOURCE, type LogFormat, type LogLevel } from "../log.js";
import { SPACEPAY_API, type AllowlistEntry, type ConfirmMode } from "../domain.js";
import { defaultStateDir } from "../state-dir.js";
import { def, type SettingDef } from "./setting.js";
import { SERVING_SETTINGS } from "./settings-serving.js";
import {
  allowlist,
  apiUrl,
  bool,
  databaseUrl,
  directory,
  int,
  list,
  merchantKey,
  oneOf,
  pattern,
  publicUrl,
  secretString,
  stateKey,
} from "./values.js";

export type { SettingDef, Source } from "./setting.js";

/** The payment poll interval when SPACEPAY_POLL_INTERVAL_MS is not set. */
export const DEFAULT_POLL_INTERVAL_MS = 2_000;
/** The same with a webhook secret set: events wake watchers at once, and polling is the safety net. */
export const WEBHOOK_POLL_INTERVAL_MS = 60_000;

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
  callLeaseMs: def<number>({
    env: "SPACEPAY_CALL_LEASE_MS",
    flag: "call-lease-ms",
    schema: int(1_000, 600_000),
    default: 15_000,
    description:
      "How long a money call being sent holds it against identical calls on this state, renewed every third of it while its sender lives: after a crash, an identical call resumes it this soon after, in ms.",
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
  ...SERVING_SETTINGS,
};

export type Settings = {
  [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never;
};
export type SettingKey = keyof Settings;

/** The table as entries, for code that walks every setting. */
export const settingEntries = (): Array<[SettingKey, SettingDef<unknown>]> =>
  Object.entries(SETTINGS) as Array<[SettingKey, SettingDef<unknown>]>;
