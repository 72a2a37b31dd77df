// The runtime's durable state: opened on first use or when checkState() asks (at startup over HTTP
// before listening, cli/serve.ts exits 2 on a problem; on stdio right after the first answers,
// server/first-send.ts), with what opening starts (the passkey warning, the payment-event listener,
// the guard, reconciling). The last open's problem (the setting to fix, and why) is kept for
// spacepay://account and the money refusals; a failed open is not kept, so the next use tries again.
import type { Config } from "./config/index.js";
import { log, redact } from "./log.js";
import { MAX_BACKOFF_MS } from "./spacepay/retry.js";
import type { PaymentStatus, SpacePayApi } from "./spacepay/types.js";
import type { PaymentWatcher } from "./server/payment-watch.js";
import type { SecretStore } from "./domain.js";
import type { PasskeyDesk } from "./safety/channel.js";
import type { AuditFs, Guard, GuardResult, SafetyPolicy, ServerGuard, StateStore } from "./safety/index.js";
import { fingerprintMerchantKey } from "./safety/idempotency.js";

/** Why durable state does not open: the setting to fix and the reason, never a URL or a password. */
export interface StateProblem {
  variable: string;
  reason: string;
}

/** The problem as one line, naming the setting once. */
export function stateProblemLine(p: StateProblem): string {
  return p.reason.includes(p.variable) ? p.reason : `${p.variable}: ${p.reason}`;
}

function stateProblem(err: unknown, config: Config): StateProblem {
  // The safety layer's errors name their setting (StateUnavailableError, StateKeyError); anything
  // else came from the state directory, or from the database when there is one.
  const e = err as Error & { setting?: string };
  const variable = e.setting ?? (config.databaseUrl ? "SPACEPAY_DATABASE_URL" : "SPACEPAY_STATE_DIR");
  return { variable, reason: redact(e.message) };
}

/** The longest a guarded call can be in flight at SpacePay: every attempt timing out, with backoff between. */
export function callBoundMs(config: Config): number {
  return config.timeoutMs * (config.maxRetries + 1) + MAX_BACKOFF_MS * config.maxRetries;
}

export interface DurableState {
  store: StateStore;
  guard: Guard;
}

/** What the runtime hands the durable state when it opens: the parts the guard and its listeners use. */
export interface StateWiring {
  stateDir: string;
  policy: SafetyPolicy;
  secretKey: string | null;
  /** The budgeted client, for background work that belongs to no caller (reconciling). */
  background: SpacePayApi;
  /** The host confirmations are bound to. */
  apiHost: string;
  cleanups: Array<() => Promise<void> | void>;
  passkey: PasskeyDesk | null;
  watcher: PaymentWatcher;
  /** The audit log's write and fsync (tests inject short writes and a full disk). */
  auditFs?: AuditFs;
}

async function openState(config: Config, wiring: StateWiring): Promise<DurableState> {
  const { stateDir, policy, secretKey, background, apiHost, cleanups, passkey, watcher } = wiring;
  const { createGuard, openState: openBackend, reconcileLedger } = await import("./safety/index.js");
  // The configured key, or (SQLite only) the one generated into the state directory.
  const store = await openBackend({
    stateDir,
    databaseUrl: config.databaseUrl,
    stateKey: config.stateKey,
    auditFs: wiring.auditFs,
  });
  cleanups.push(() => store.close());
  // Not a reason to stop: enrolling needs a running instance on PostgreSQL. Until someone is enrolled,
  // every withdrawal is refused, naming the command.
  if (passkey && (await store.approvals.enrolledCount()) === 0)
    log(
      "warn",
      "SPACEPAY_APPROVAL=passkey and no approver is enrolled yet: withdrawals are refused until one is (spacepay-mcp approvers add NAME)",
    );
  // Webhook events another instance received (PostgreSQL): its fetch's status, to this instance's
  // watchers of that payment or withdrawal.
  if (config.webhookEvents && store.paymentEvents) {
    const stopListening = store.paymentEvents.listen(
      (id, status, kind) => watcher.wake(id, status as PaymentStatus, kind),
      () => log("info", "webhooks: listening for payment events from other instances (PostgreSQL)"),
    );
    cleanups.push(stopListening);
  }
  const guard = createGuard({
    policy,
    mode: config.mode,
    store,
    merchantKeyFingerprint: fingerprintMerchantKey(secretKey ?? ""),
    apiHost,
    // An identical call waits for one in flight at most as long as that one can take.
    callBoundMs: callBoundMs(config),
    leaseMs: config.callLeaseMs,
    passkey: passkey ?? undefined,
  });
  // Settles withdrawals an earlier run left without an outcome, in the background (within the upstream
  // budget): until it has, they keep counting against the cap, which is the safe side. Closing stops
  // what still waits for the budget (the next start looks again) and waits for the rest.
  const stop = new AbortController();
  const reconciling = reconcileLedger({
    store,
    api: background,
    inFlightMs: callBoundMs(config),
    signal: stop.signal,
  }).then(
    (r) => {
      if (r.done + r.failed + r.unknown)
        log("info", "reconciled withdrawals left without an outcome", { ...r });
    },
    (err: Error) => log("warn", `could not reconcile unsettled withdrawals with SpacePay: ${err.message}`),
  );
  cleanups.push(() => {
    stop.abort();
    return reconciling;
  });
  return { store, guard };
}

/** Durable state as the runtime sees it: opened on first use, its outcome kept, its users fail closed. */
export interface StateHolder {
  /** Opens it (once; a failed open is tried again at the next call) and gives it. */
  state(): Promise<DurableState>;
  /** The state if it was opened, without opening it. */
  opened(): Promise<DurableState | null>;
  /** The last attempt's outcome: null before any, "ok", or what stopped it. */
  outcome(): StateProblem | "ok" | null;
  checkState(): Promise<StateProblem | null>;
  readiness(): Promise<{ state: boolean; stateKey: boolean }>;
  /** Payment secrets; read tools keep working (asking for the paymentSecret) when state does not open. */
  secrets: SecretStore;
  /** The guard every server runs money calls through; refuses them once `stopping()`. */
  guard(stopping: () => boolean): ServerGuard;
}

export function stateHolder(config: Config, wiring: StateWiring): StateHolder {
  // Durable state is opened on first use: a session that only reads never loads its code or SQLite.
  // A failed open is not kept: the next money call tries again (the user may have fixed the directory).
  let stateReady: Promise<DurableState> | null = null;
  let stateOutcome: StateProblem | "ok" | null = null;
  // Opened by whichever money call comes first, but kept for all: its background work (reconciling
  // with SpacePay) belongs to no caller, so it holds the budgeted client, not that call's view of it.
  const state = () =>
    (stateReady ??= openState(config, wiring).then(
      (s) => ((stateOutcome = "ok"), s),
      (err: unknown) => {
        stateOutcome = stateProblem(err, config);
        stateReady = null;
        throw err;
      },
    ));
  const checkState = async (): Promise<StateProblem | null> => {
    await state().catch(() => {});
    return stateOutcome === "ok" ? null : stateOutcome;
  };
  // Fail closed: without the ledger and the audit log nothing may move, and no approval handle can be
  // looked up (one may have been issued by another instance on the same database).
  const openedOrRefusal = async (): Promise<DurableState | { refused: GuardResult }> => {
    try {
      return await state();
    } catch (err) {
      const problem = stateProblem(err, config);
      const message = `Refused: the durable state could not be opened, so money-moving tools are unavailable. ${problem.reason} Nothing was sent.`;
      log("error", message);
      return {
        refused: {
          // Names the setting to fix; only a directory is shown (a database URL carries the password).
          structured: {
            status: "refused",
            rule: problem.variable,
            configured: problem.variable === "SPACEPAY_STATE_DIR" ? wiring.stateDir : null,
            message,
          },
          text: message,
          isError: true,
        },
      };
    }
  };
  return {
    state,
    opened: async () => stateReady && (await stateReady.catch(() => null)),
    outcome: () => stateOutcome,
    checkState,
    async readiness() {
      let problem = await checkState();
      if (!problem)
        problem = await (await state()).store.ping().then(
          () => null,
          (err: unknown) => stateProblem(err, config),
        );
      // A key that does not open the state is the key's fault; anything else is the backend's.
      const keyWrong = problem?.variable === "SPACEPAY_STATE_KEY";
      return { state: !problem || keyWrong, stateKey: !keyWrong };
    },
    secrets: {
      get: async (id) => {
        try {
          return (await state()).store.secrets.get(id);
        } catch (err) {
          // Read tools keep working without durable state; they ask for the paymentSecret instead.
          log("warn", `payment secrets unavailable: ${(err as Error).message}`);
          return undefined;
        }
      },
      put: async (id, secret) => (await state()).store.secrets.put(id, secret),
    },
    guard: (stopping) => ({
      run: async (call) => {
        // Loaded lazily like the rest of the safety layer, which a read-only session never needs.
        if (stopping()) return (await import("./safety/index.js")).stoppingResult();
        const s = await openedOrRefusal();
        return "refused" in s ? s.refused : s.guard.run(call);
      },
      approvalCall: async (handle, caller) => {
        const s = await openedOrRefusal();
        return "refused" in s ? s : s.guard.approvalCall(handle, caller);
      },
    }),
  };
}
