// Everything a running server needs, built once from the config: the SpacePay client (or, in demo
// mode, an in-process simulator and its own state directory), durable state, the guard, and a
// factory for MCP servers (one for stdio, one per request over HTTP) that share all of it.
// Durable state, opened on first use, is runtime-state.ts.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { effectiveStateDir, type Config } from "./config/index.js";
import type { ApprovalDesk } from "./approvals/desk.js";
import type { ApprovalPages } from "./approvals/serve.js";
import { log, logEnabled } from "./log.js";
import { SpacePayClient } from "./spacepay/client.js";
import { RequestBudget } from "./spacepay/budget.js";
import type { PaymentStatus, RequestLogEvent, SpacePayApi, WithdrawalStatus } from "./spacepay/types.js";
import { createServer, type SpacePayServer } from "./server/create-server.js";
import { createPaymentWatcher, type ObjectKind, type PaymentWatcher } from "./server/payment-watch.js";
import { HTTP_WITHOUT_TOKEN, listsInstances, SCOPES, selectTools, toolsFor } from "./server/select-tools.js";
import type { AnyTool } from "./server/tool.js";
import type { Principal } from "./domain.js";
import type { ServerInfo } from "./server/tool.js";
import type { SimulatorHandle } from "./simulator/index.js";
import type { AuditFs, SafetyPolicy, StateStore } from "./safety/index.js";
import { DAY_MS } from "./safety/policy.js";
import { telemetry } from "./telemetry.js";
import { createOrderIndex, type OrderIndex } from "./safety/order-index-sync.js";
import { callBoundMs, stateHolder, type StateProblem } from "./runtime-state.js";

export { callBoundMs, stateProblemLine, type StateProblem } from "./runtime-state.js";

export interface Runtime {
  config: Config;
  info: ServerInfo;
  api: SpacePayClient;
  /** Set in demo mode: the in-process simulator. */
  simulator: SimulatorHandle | null;
  stateDir: string;
  /** Tools left out of every server, each with the reason (also in spacepay://account). */
  disabledTools: Record<string, string>;
  /** The one payment poll loop every server and serving entry in this process watches through. */
  watcher: PaymentWatcher;
  /** The passkey approval pages for the HTTP transport, on SPACEPAY_PUBLIC_URL; null without one. */
  approvalPages: ApprovalPages | null;
  /**
   * The instance's upstream budget (SPACEPAY_API_BUDGET_PER_SECOND), and the client view whose calls
   * wait for it: for background and watch traffic only (polls, listen look-ups, reconciliation).
   */
  budget: RequestBudget;
  background: SpacePayApi;
  /**
   * The order index (orderId → payment ids) in durable state: list_payments looks orders up in it,
   * the webhook receiver records verified payment events with `orderIndex.record`, and the serving
   * entry starts its backfill with `orderIndex.start()`.
   */
  orderIndex: OrderIndex;
  /**
   * Webhook deliveries this instance took since it started (spacepay://account's `events`); the
   * receiver (webhooks/receiver.ts, loaded only with SPACEPAY_WEBHOOK_SECRET) counts into it.
   */
  events: EventStats;
  /** Records a verified event's id in durable state: true the first time, on any instance sharing it. */
  claimEvent(eventId: string): Promise<boolean>;
  /**
   * SpacePay just gave this payment's status (the webhook receiver's fetch by id): this instance's
   * watchers hear it now, and with PostgreSQL every other instance's too.
   */
  paymentChanged(paymentId: string, status: PaymentStatus): void;
  /** The same for a withdrawal (its statuses are a subset of a payment's). */
  withdrawalChanged(withdrawalId: string, status: WithdrawalStatus): void;
  /**
   * A server over the shared state; `stateless` for per-request HTTP servers (no subscriptions).
   * With a principal (OAuth), it offers only the tools the token's scopes allow, and lists payment and
   * withdrawal instances only to a token that may read them. `era` as the SDK's
   * serving entry says (see ServerDeps.era); `method` for an instance that answers one request
   * (see ServerDeps.method).
   */
  newServer(opts?: {
    stateless?: boolean;
    principal?: Principal;
    era?: "legacy" | "modern";
    method?: string;
  }): SpacePayServer;
  /**
   * The first step of a graceful stop: money calls are refused from now on, and the ones in flight
   * are waited for (bounded by one call's longest time) so their outcomes are recorded; payment waits
   * end with the status so far (so a stop is not held up by a read). close() does it too.
   */
  drain(): Promise<void>;
  /**
   * Opens durable state now (connect, migrate, the state directory's checks, the state key's canary)
   * instead of at the first money call: null when it opened, else what to fix. Startup runs it (HTTP
   * before listening, stdio right after the first answers); a failure is kept for spacepay://account.
   */
  checkState(): Promise<StateProblem | null>;
  /**
   * GET /readyz's checks of durable state, from checkState() and a round trip to the backend: `state`
   * (reachable and migrated, the directory usable) and `stateKey` (the canary opened).
   */
  readiness(): Promise<{ state: boolean; stateKey: boolean }>;
  close(): Promise<void>;
  /** Withdrawals counted against the rolling cap now, in cents; null while durable state is not open
   * (a metric never opens it). */
  withdrawalTotalCents(): Promise<number | null>;
}

/** Webhook deliveries as spacepay://account shows them; counts since start, on this instance. */
export interface EventStats {
  configured: boolean;
  /** ISO time of the last delivery whose signature verified (a redelivery included); null before one. */
  lastVerifiedAt: string | null;
  /** Verified deliveries of new events (each acted on once). */
  verified: number;
  /** Verified redeliveries of an event already received (acknowledged, nothing done). */
  duplicates: number;
  /** Deliveries refused: bad or missing signature, stale timestamp, too large, unreadable. */
  rejected: number;
}

export interface RuntimeOptions {
  /** Sample payments seeded into the demo simulator. */
  demoPayments?: number;
  /** The payment poll loop's interval, below the setting's minimum (tests make it short). */
  pollIntervalMs?: number;
  /** The audit log's write and fsync (tests inject short writes and a full disk). */
  auditFs?: AuditFs;
}

export function safetyPolicy(config: Config): SafetyPolicy {
  return {
    confirm: config.confirm,
    confirmTimeoutMs: config.confirmTimeoutMs,
    confirmTtlSeconds: config.confirmTtlSeconds,
    maxWithdrawalCents: config.maxWithdrawalCents,
    dailyWithdrawalLimitCents: config.dailyWithdrawalLimitCents,
    maxPaymentCents: config.maxPaymentCents,
    withdrawalAllowlist: config.withdrawalAllowlist.length ? config.withdrawalAllowlist : null,
    allowLiveWithdrawals: config.allowLiveWithdrawals,
    approval: config.approval,
    secondApproverAboveCents: config.secondApproverAboveCents,
  };
}

export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const cleanups: Array<() => Promise<void> | void> = [];
  let apiUrl = config.apiUrl;
  let secretKey = config.secretKey;
  let bearerToken = config.bearerToken;
  let merchantId = config.merchantId;
  let stateDir = config.stateDir;
  let simulator: SimulatorHandle | null = null;

  if (config.mode === "demo") {
    // Loaded only here: a real deployment never pays for the simulator's code.
    const { startSimulator } = await import("./simulator/index.js");
    // Demo state lives in its own subfolder: it survives between runs (a client that starts one process
    // per call can still round-trip a confirmation token) and never mixes with a real deployment's.
    stateDir = effectiveStateDir(config);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const sim = await startSimulator({
      samplePayments: opts.demoPayments ?? 40,
      seed: 1,
      stateFile: path.join(stateDir, "simulator.json"),
    });
    cleanups.push(() => sim.close());
    simulator = sim;
    apiUrl = sim.url;
    // The simulator's own credentials, so every tool works in demo mode, get_withdrawal_config included.
    const creds = sim.control.info();
    secretKey = creds.secretKey;
    bearerToken = creds.bearerToken;
    merchantId = creds.merchantId;
  }

  const servers = new Set<SpacePayServer>();
  const onRequest = (e: RequestLogEvent) => {
    telemetry.upstream(e);
    // Every API call passes here: build the debug line only when it will be written.
    if (logEnabled("debug")) {
      log("debug", `${e.method} ${e.path} → ${e.status ?? e.error ?? "no response"}`, {
        ms: e.durationMs,
        attempt: e.attempt,
        requestId: e.requestId,
      });
    }
  };
  const budget = new RequestBudget(config.apiBudgetPerSecond, undefined, () => telemetry.budgetWait());
  const api = new SpacePayClient({
    baseUrl: apiUrl,
    secretKey,
    bearerToken,
    merchantId,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    onRequest,
    budget,
  });
  cleanups.push(() => api.close());
  const background = api.throughBudget();
  const watcher = createPaymentWatcher(background, opts.pollIntervalMs ?? config.pollIntervalMs, {
    maxWatchesPerCaller: config.maxWatchesPerCaller,
    // Where webhook events wake watchers, polling is the safety net: one sweep, not a GET each.
    sweep: config.webhookEvents,
  });
  cleanups.push(() => watcher.close());

  const orderIndex = createOrderIndex({
    store: async () => (await holder.state()).store.orderIndex,
    api: background,
    backfillMax: config.indexBackfillMax,
  });

  const policy = safetyPolicy(config);
  // The approval pages (loaded only where configured): on SPACEPAY_PUBLIC_URL for enrolling and, with
  // SPACEPAY_APPROVAL=passkey, approving; on stdio the passkey pages are on loopback.
  const approvals: ApprovalDesk | null =
    config.publicUrl || config.approval === "passkey"
      ? (await import("./approvals/desk.js")).approvalDesk({
          publicUrl: config.publicUrl,
          port: config.approvalPort,
          passkey: config.approval === "passkey",
          state: async (): Promise<StateStore> => (await holder.state()).store,
        })
      : null;
  if (approvals) cleanups.push(() => approvals.close());
  // Opened by whichever money call comes first, but kept for all (runtime-state.ts).
  const holder = stateHolder(config, {
    stateDir,
    policy,
    secretKey,
    background,
    // The demo simulator listens on a new port each run; its confirmations are bound to it by name.
    apiHost: config.mode === "demo" ? "demo simulator" : new URL(apiUrl).host,
    cleanups,
    passkey: approvals?.desk ?? null,
    watcher,
    auditFs: opts.auditFs,
  });
  const events: EventStats = {
    configured: config.webhookEvents,
    lastVerifiedAt: null,
    verified: 0,
    duplicates: 0,
    rejected: 0,
  };
  let draining: Promise<void> | null = null;
  const drain = () =>
    (draining ??= (async () => {
      watcher.close();
      // Never opened: nothing can be in flight.
      const open = await holder.opened();
      if (!open) return;
      const boundMs = callBoundMs(config);
      const pending = open.guard.drain(boundMs);
      const { waited, unfinished } = await pending;
      if (!waited.length) return;
      log("info", `stopping: waited for ${waited.length} money-moving call(s) in flight`, { waited });
      if (unfinished.length) {
        log(
          "warn",
          `stopping: gave up after ${boundMs} ms on ${unfinished.length} call(s); their ledger entries stay counted`,
          {
            unfinished,
          },
        );
      }
    })());
  const guard = holder.guard(() => draining !== null);

  const info: ServerInfo = { mode: config.mode, apiHost: new URL(apiUrl).host };
  const { tools, disabled } = selectTools({
    readOnly: config.readOnly,
    httpWithoutToken: config.http && !config.mcpHttpToken && !config.oauth,
    mode: config.mode,
    allowLiveWithdrawals: config.allowLiveWithdrawals,
    tools: config.tools,
    excludeTools: config.excludeTools,
  });
  const account = {
    disabledTools: disabled,
    // A getter: read each time the resource is (create-server.ts spreads this object per read).
    get upstreamBudget() {
      return budget.stats();
    },
    get index() {
      return orderIndex.stats();
    },
    get events() {
      return { ...events };
    },
    // Over HTTP, whoever reads this should see how callers are authenticated and what that costs.
    ...(config.http && {
      http: config.oauth
        ? { authentication: "OAuth 2.1 access tokens", ...config.oauth }
        : config.mcpHttpToken
          ? { authentication: "bearer token (SPACEPAY_MCP_HTTP_TOKEN)" }
          : { authentication: "none", moneyTools: `disabled: ${HTTP_WITHOUT_TOKEN}` },
    }),
    policy: {
      confirm: policy.confirm,
      maxWithdrawalCents: policy.maxWithdrawalCents,
      dailyWithdrawalLimitCents: policy.dailyWithdrawalLimitCents,
      maxPaymentCents: policy.maxPaymentCents,
      withdrawalAllowlist: policy.withdrawalAllowlist,
      allowLiveWithdrawals: policy.allowLiveWithdrawals,
      readOnly: config.readOnly,
    },
    credentials: {
      secretKey: secretKey ? "yes" : "no",
      bearerToken: bearerToken ? "yes" : "no",
      merchantId: merchantId ? "yes" : "no",
    },
    // Read at each request: whether durable state opened, and if not, what to fix.
    get state() {
      const stateOutcome = holder.outcome();
      if (stateOutcome === null) return { status: "not opened yet" };
      if (stateOutcome === "ok") return { status: "ok" };
      return { status: "unavailable", variable: stateOutcome.variable, reason: stateOutcome.reason };
    },
  };

  // SpacePay just answered a webhook's fetch by id: this instance's watchers hear it now, and with
  // PostgreSQL every other instance's.
  const changed = (kind: ObjectKind, id: string, status: PaymentStatus) => {
    watcher.wake(id, status, kind);
    const open = holder.outcome() === "ok" ? holder.state() : null;
    void open
      ?.then((s) => s.store.paymentEvents?.publish(id, status, kind))
      .catch((err: Error) => log("warn", `${kind} event not shared with other instances: ${err.message}`));
  };

  // The tools a token's scopes allow, made once per combination of our scopes (at most eight), not
  // per request: HTTP builds a server per request.
  const toolsByScopes = new Map<string, AnyTool[]>();
  const scopedTools = (p: Principal): AnyTool[] => {
    const key = Object.values(SCOPES)
      .filter((s) => p.scopes.includes(s))
      .join(" ");
    let list = toolsByScopes.get(key);
    if (!list) toolsByScopes.set(key, (list = toolsFor(p, tools)));
    return list;
  };

  return {
    config,
    info,
    api,
    simulator,
    stateDir,
    disabledTools: disabled,
    watcher,
    approvalPages: config.publicUrl ? approvals!.pages : null,
    budget,
    background,
    orderIndex,
    events,
    claimEvent: async (eventId) => (await holder.state()).store.webhookEvents.claim(eventId),
    paymentChanged: (paymentId, status) => changed("payment", paymentId, status),
    withdrawalChanged: (withdrawalId, status) => changed("withdrawal", withdrawalId, status),
    newServer({ stateless = false, principal, era, method } = {}) {
      const server = createServer({
        stateless,
        era,
        method,
        api,
        info,
        tools: principal ? scopedTools(principal) : tools,
        listInstances: listsInstances(principal),
        caller: principal?.subject,
        secrets: holder.secrets,
        guard,
        account,
        auditRecent: async (n) => (await holder.state()).store.audit.readRecent(n),
        watcher,
        orderIndex,
      });
      servers.add(server);
      const close = server.close.bind(server);
      server.close = async () => {
        servers.delete(server);
        await close();
      };
      return server;
    },
    drain,
    checkState: holder.checkState,
    async withdrawalTotalCents() {
      const open = await holder.opened();
      return open ? open.store.ledger.usedCents(new Date(), DAY_MS) : null;
    },
    readiness: holder.readiness,
    async close() {
      await drain();
      // Before the state store closes under it (its cleanup runs with the others below).
      await orderIndex.close();
      for (const s of [...servers]) await s.close();
      for (const c of cleanups.reverse()) await c();
    },
  };
}
