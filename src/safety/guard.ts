// The money-moving guard: the one wrapper around create_payment, create_deposit and
// create_withdrawal that enforces policy, confirmation, idempotency, the rolling cap and the audit log.
import type { Mode, ToolResult } from "../domain.js";
import { auditError, type AuditEntry, type AuditOutcome, type ConfirmedBy } from "./audit.js";
import type { AuditMark } from "./audit-chain.js";
import {
  argsFingerprint,
  canonicalArgs,
  canonicalJson,
  cleanSummary,
  describeAction,
  describeChanges,
  describeKind,
  diffArgs,
  hashApprovalHandle,
  hashToken,
  TOKEN_ARG,
} from "./confirm.js";
import {
  cancelled,
  createConfirmationFlow,
  type ConfirmableCall,
  type ConfirmationContext,
  type GuardResult,
} from "./confirmation.js";
import { derivePaymentKey, newWithdrawalKey, paymentTypeOf } from "./idempotency.js";
import { DAY_MS, checkDailyLimit, checkPolicy, type Refusal, type SafetyPolicy } from "./policy.js";
import { StateUnavailableError, type StateStore } from "./state.js";
import { log } from "../log.js";
import { telemetry } from "../telemetry.js";
import { IdempotencyKeyReusedError } from "../spacepay/errors.js";
import { failureOf } from "../spacepay/failure.js";

export type {
  AppApproval,
  ElicitAction,
  ElicitFn,
  GuardResult,
  InputRequiredAsk,
  InputRequiredChannel,
} from "./confirmation.js";
export { RESUME_WINDOW_MS } from "./confirmation.js";

export interface ExecuteResult {
  result: ToolResult<Record<string, unknown>>;
  ids: Record<string, string>;
  requestId: string | null;
  replayed: boolean;
}

export interface GuardedCall extends ConfirmableCall {
  kind: "payment" | "withdrawal";
  /** Makes the one API call, with the guard's idempotency key. */
  execute: (idempotencyKey: string) => Promise<ExecuteResult>;
}

export type { FailureClass } from "../spacepay/errors.js";

export interface GuardDeps {
  policy: SafetyPolicy;
  mode: Mode;
  /** Ledger, tokens and the audit trail, on either backend. */
  store: StateStore;
  /** See fingerprintMerchantKey; part of every derived payment key. */
  merchantKeyFingerprint: string;
  now?: () => Date;
}

/** The call an approval handle was issued for, exactly as the guard bound it. */
export interface ApprovalCall {
  tool: string;
  args: Record<string, unknown>;
}

/**
 * What an approval handle answers: the call it was issued for; null for a handle never issued; or,
 * when the state cannot be read to tell, the refusal every money call gets then (nothing is sent).
 */
export type ApprovalLookup = ApprovalCall | { refused: GuardResult } | null;

export interface Guard {
  run(call: GuardedCall): Promise<GuardResult>;
  approvalCall(handle: string): Promise<ApprovalLookup>;
  /**
   * For a graceful stop: refuses new calls from now on and waits, up to `timeoutMs`, for the calls
   * past confirmation to record their outcomes. Says what it waited for and what did not finish.
   */
  drain(timeoutMs: number): Promise<{ waited: string[]; unfinished: string[] }>;
}

/** What the MCP server holds: run, and (where durable state opens lazily) an async approval lookup. */
export type ServerGuard = Pick<Guard, "run"> & {
  approvalCall?(handle: string): ApprovalLookup | Promise<ApprovalLookup>;
};

/** The answer to a money call when the state backend cannot be reached: nothing was sent. */
function unavailableResult(err: StateUnavailableError): GuardResult {
  const message = `Refused: ${err.message} Money-moving tools are unavailable until it is back; read tools keep working. Nothing was sent.`;
  log("error", message);
  return refusalResult({ rule: err.setting, configured: null, message });
}

/** The answer to a money call that arrives while the server is stopping. */
export function stoppingResult(): GuardResult {
  return refusalResult({
    rule: "shutdown",
    configured: null,
    message: "Refused: the server is shutting down. Nothing was sent; call again once it is back.",
  });
}

/**
 * Every money call's end, as one info line (what an operator reads): the tool, the amount, how it
 * ended, the rule behind a refusal, who called and how it was confirmed. Built from the call's summary
 * and the audit entry's fields, which hold no secret; never the arguments.
 */
function reportOutcome(
  call: ConfirmableCall,
  status: AuditOutcome,
  entry: { rule?: string; confirmation: ConfirmedBy | null },
): void {
  telemetry.moneyOutcome({ tool: call.tool, status, rule: entry.rule, channel: entry.confirmation });
  log("info", `money call ${status}: ${call.tool}`, {
    tool: call.tool,
    amountInCents: call.summary.amountInCents,
    currency: call.summary.currency,
    status,
    ...(entry.rule !== undefined && { rule: entry.rule }),
    caller: call.caller ?? null,
    channel: entry.confirmation,
  });
}

/** Runs one bookkeeping step; on failure logs it and returns what could not be done, instead of throwing. */
async function settle(what: string, step: () => Promise<unknown>): Promise<string | null> {
  try {
    await step();
    return null;
  } catch (err) {
    const reason = `could not ${what}: ${auditError(err).message}`;
    log("error", reason);
    return reason;
  }
}

function requestIdOf(err: unknown): string | null {
  const id = err !== null && typeof err === "object" ? (err as { requestId?: unknown }).requestId : null;
  return typeof id === "string" ? id : null;
}

function refusalResult(refusal: Refusal): GuardResult {
  return {
    structured: {
      status: "refused",
      rule: refusal.rule,
      configured: refusal.configured ?? null,
      message: refusal.message,
    },
    text: refusal.message,
    isError: true,
  };
}

export function createGuard(deps: GuardDeps): Guard {
  const { policy, mode, store } = deps;
  const { audit } = store;
  const clock = deps.now ?? (() => new Date());
  const confirmation = createConfirmationFlow({ policy, mode, store, clock });
  // Calls past confirmation, which a graceful stop waits for; what each is, for the stop's log line.
  const inFlight = new Map<Promise<unknown>, string>();
  let stopping = false;

  async function run(call: GuardedCall): Promise<GuardResult> {
    if (stopping) {
      reportOutcome(call, "refused", { rule: "shutdown", confirmation: null });
      return stoppingResult();
    }
    try {
      return await runGuarded(new CallContext(call));
    } catch (err) {
      // The state backend went away before anything was sent (every step after the API call settles
      // its own failures): fail closed, naming the backend.
      if (err instanceof StateUnavailableError) {
        reportOutcome(call, "refused", { rule: err.setting, confirmation: null });
        return unavailableResult(err);
      }
      throw err;
    }
  }

  async function runGuarded(ctx: CallContext): Promise<GuardResult> {
    const { call } = ctx;
    const refusal = await telemetry.step(
      "policy",
      async () => checkPolicy(call.summary, policy, mode) ?? (await ctx.rollingPreCheck()),
    );
    if (refusal) return ctx.refuse(refusal, null);

    const confirmed = await telemetry.step(
      "confirmation",
      () => confirmation.confirm(ctx),
      (c): Record<string, string> => (c.ok ? { "spacepay.confirmation.channel": c.by } : {}),
    );
    if (!confirmed.ok) return confirmed.result;
    const token = confirmed.token;
    const proceeding = proceed(ctx, confirmed.by, token, confirmed.key);
    inFlight.set(proceeding, describeAction(call.summary, mode));
    try {
      return await proceeding;
    } finally {
      inFlight.delete(proceeding);
      if (token) confirmation.release(token.hash);
    }
  }

  async function drain(timeoutMs: number): Promise<{ waited: string[]; unfinished: string[] }> {
    stopping = true;
    const waited = [...inFlight.values()];
    if (!waited.length) return { waited, unfinished: [] };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(inFlight.keys()),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return { waited, unfinished: [...inFlight.values()] };
  }

  /** Per-call values and audit helpers, computed once. */
  class CallContext implements ConfirmationContext {
    readonly canonical: string;
    readonly fingerprint: string;
    readonly callerKey: string | undefined;
    readonly presentedToken: string | undefined;
    readonly auditArgs: Record<string, unknown>;
    tokenId: string | undefined;

    constructor(readonly call: GuardedCall) {
      this.canonical = canonicalJson(call.args);
      this.fingerprint = argsFingerprint(call.tool, call.args);
      const key = call.args.idempotencyKey;
      this.callerKey = typeof key === "string" && key !== "" ? key : undefined;
      const token = call.args[TOKEN_ARG];
      this.presentedToken = typeof token === "string" && token !== "" ? token : undefined;
      if (this.presentedToken) this.tokenId = hashToken(this.presentedToken).slice(0, 12);
      this.auditArgs = { summary: cleanSummary(call.summary), arguments: canonicalArgs(call.args) };
    }

    get isWithdrawal(): boolean {
      return this.call.kind === "withdrawal";
    }

    async record(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<void> {
      await this.append(entry);
    }

    /** Writes one entry for this call; answers where it landed in the trail. */
    append(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<AuditMark> {
      if (entry.event === "outcome") reportOutcome(this.call, entry.outcome ?? "done", entry);
      return telemetry.step("audit", () =>
        audit.append({
          time: clock().toISOString(),
          tool: this.call.tool,
          ...(this.call.caller !== undefined && { caller: this.call.caller }),
          args: this.auditArgs,
          ...(this.tokenId ? { tokenId: this.tokenId } : {}),
          ...entry,
        }),
      );
    }

    async refuse(refusal: Refusal, by: ConfirmedBy | null, key: string | null = null): Promise<GuardResult> {
      await this.record({
        event: "outcome",
        outcome: "refused",
        rule: refusal.rule,
        confirmation: by,
        idempotencyKey: key,
      });
      return refusalResult(refusal);
    }

    /**
     * The key a retry of this exact withdrawal should reuse: one whose earlier attempt is still
     * unresolved (reserved or sent) in the ledger.
     */
    async unresolvedKey(): Promise<string | undefined> {
      return this.isWithdrawal
        ? (await store.ledger.findUnresolved(this.fingerprint))?.idempotencyKey
        : undefined;
    }

    /** Refuse before asking the user when the cap is already reached (the reserve re-checks atomically). */
    async rollingPreCheck(): Promise<Refusal | null> {
      // A presented token is checked at reservation time, where its own earlier entry is not double counted.
      if (!this.isWithdrawal || this.presentedToken || this.call.app?.handle) return null;
      const amount = this.call.summary.amountInCents ?? 0;
      const used = await store.ledger.usedCents(
        clock(),
        DAY_MS,
        this.callerKey ?? (await this.unresolvedKey()),
      );
      return checkDailyLimit(amount, used, policy.dailyWithdrawalLimitCents);
    }

    /** Payments: caller's key, else derived. Withdrawals: caller's, else a pending retry's, else new. */
    async chooseKey(bound?: string): Promise<string> {
      if (this.callerKey) return this.callerKey;
      if (bound) return bound;
      const { call } = this;
      if (!this.isWithdrawal) {
        return derivePaymentKey({
          merchantKeyFingerprint: deps.merchantKeyFingerprint,
          tool: call.tool,
          orderId: call.summary.orderId,
          amountInCents: call.summary.amountInCents,
          currency: call.summary.currency,
          type: paymentTypeOf(call.summary, call.args),
        });
      }
      return (await this.unresolvedKey()) ?? newWithdrawalKey();
    }
  }

  async function proceed(
    ctx: CallContext,
    by: ConfirmedBy,
    token: { hash: string; key: string } | undefined,
    boundKey?: string,
  ): Promise<GuardResult> {
    const { call } = ctx;
    const finishToken = async () => {
      if (token) await store.tokens.finish(token.hash, clock());
    };

    // Confirmed while a graceful stop began: nothing is sent after the stop has started.
    if (stopping) {
      await finishToken();
      await ctx.record({
        event: "outcome",
        outcome: "refused",
        rule: "shutdown",
        confirmation: by,
        idempotencyKey: null,
      });
      return stoppingResult();
    }
    // Again just before the call: confirmation can take minutes, and the rules are cheap.
    const refusal = checkPolicy(call.summary, policy, mode);
    if (refusal) {
      await finishToken();
      return ctx.refuse(refusal, by);
    }
    if (call.signal.aborted) {
      await finishToken();
      return cancelled(ctx, by);
    }

    const key = await ctx.chooseKey(boundKey ?? token?.key);
    let reservationId: string | undefined;
    if (ctx.isWithdrawal) {
      // The atomic check-and-reserve; it also stores the key before anything is sent.
      const reserved = await telemetry.step("reservation", () =>
        store.ledger.reserve({
          amountCents: call.summary.amountInCents ?? 0,
          capCents: policy.dailyWithdrawalLimitCents,
          windowMs: DAY_MS,
          now: clock(),
          chainId: call.summary.chainId,
          recipient: call.summary.recipientAddress,
          argsFingerprint: ctx.fingerprint,
          idempotencyKey: key,
        }),
      );
      if (!reserved.ok) {
        await finishToken();
        if (reserved.reason === "cap") {
          const over = checkDailyLimit(
            call.summary.amountInCents ?? 0,
            reserved.usedCents,
            reserved.capCents,
          );
          if (over) return ctx.refuse(over, by, key);
        }
        return ctx.refuse(
          {
            rule: "idempotencyKey",
            configured: null,
            message: `Refused: idempotency key ${key} was already used for a different withdrawal. Nothing was sent.`,
          },
          by,
          key,
        );
      }
      reservationId = reserved.reservationId;
    }

    // The intent is on disk before anything is sent, or nothing is sent (fail closed).
    try {
      const intent = await ctx.append({ event: "intent", confirmation: by, idempotencyKey: key });
      // The ledger names its intent, so `audit verify` finds a trail cut or rewritten under it.
      if (reservationId) await store.ledger.markSent(reservationId, clock(), intent);
    } catch (err) {
      return unrecordedIntent(ctx, by, key, reservationId, finishToken, err);
    }

    let out: ExecuteResult;
    try {
      out = await call.execute(key);
    } catch (err) {
      // Decided by the request pipeline from every attempt (src/spacepay/failure.ts), not here.
      const failure = failureOf(err);
      // Bookkeeping that fails here must not hide the API's error, which says what the agent may do.
      await settle("record the failure", async () => {
        if (failure === "not_sent") {
          if (reservationId) await store.ledger.markFailed(reservationId, clock());
          await finishToken();
        }
        // Ambiguous: the ledger entry stays "sent" (still counted) and the token stays in_flight, so
        // repeating the same call resumes with the same key and the API replays instead of paying twice.
        await ctx.record({
          event: "outcome",
          outcome: "failed",
          confirmation: by,
          idempotencyKey: key,
          error: auditError(err),
          ambiguous: failure === "ambiguous",
          requestId: requestIdOf(err),
        });
      });
      if (!ctx.isWithdrawal && err instanceof IdempotencyKeyReusedError) return invoiceConflict(ctx, key);
      throw err;
    }

    // SpacePay succeeded: a bookkeeping failure from here on must never make the agent repeat the call.
    // One after another, in this order (ledger, token, audit), as each may depend on the same store.
    const unrecorded: string[] = [];
    const steps: Array<[string, () => Promise<unknown>]> = [
      ["mark the confirmation used", finishToken],
      [
        "write the audit outcome",
        () =>
          ctx.record({
            event: "outcome",
            outcome: "done",
            confirmation: by,
            idempotencyKey: key,
            ids: out.ids,
            requestId: out.requestId,
            replayed: out.replayed,
          }),
      ],
    ];
    if (reservationId) {
      const id = reservationId;
      steps.unshift([
        "mark the ledger entry done",
        () => store.ledger.markDone(id, out.ids.withdrawalId ?? out.ids.id ?? null, clock()),
      ]);
    }
    for (const [what, step] of steps) {
      const failed = await settle(what, step);
      if (failed) unrecorded.push(failed);
    }
    const warning = unrecorded.length
      ? `Warning: this succeeded at SpacePay, but the server could not record the outcome (${unrecorded.join("; ")}). ` +
        `Do not repeat the call: it is done. The server settles the record with SpacePay when it next starts.`
      : null;
    // The tool's own text already says when SpacePay replayed an earlier result.
    return {
      structured: {
        ...out.result.structured,
        confirmation: { by, idempotencyKey: key, replayed: out.replayed },
        ...(warning ? { warning } : {}),
      },
      text: warning ? `${out.result.text}\n${warning}` : out.result.text,
    };
  }

  /**
   * The intent could not be written (full disk, I/O error, unwritable state): nothing was sent, so
   * the reservation stops counting and the confirmation is used up, and the agent is told so.
   */
  async function unrecordedIntent(
    ctx: CallContext,
    by: ConfirmedBy,
    key: string,
    reservationId: string | undefined,
    finishToken: () => Promise<void>,
    err: unknown,
  ): Promise<GuardResult> {
    await settle("release the reservation", async () => {
      if (reservationId) await store.ledger.release(reservationId, clock());
    });
    await settle("mark the confirmation used", finishToken);
    // Best effort: the same log just failed, but a torn line is better than no trace.
    await settle("write the audit outcome", () =>
      ctx.record({
        event: "outcome",
        outcome: "refused",
        rule: "audit",
        confirmation: by,
        idempotencyKey: key,
      }),
    );
    const message =
      `Refused: the audit log (${audit.where}) could not record this ${describeKind(ctx.call.summary)} before sending it ` +
      `(${auditError(err).message}), so nothing was sent. Free space or fix the state directory, then call again.`;
    log("error", message);
    return {
      structured: { status: "refused", rule: "audit", configured: null, message },
      text: message,
      isError: true,
    };
  }

  /**
   * SpacePay refused a payment whose derived key (same order, amount, currency, type) it saw before
   * with another body: say which arguments differ from the first (from the audit log, when this
   * server made it) and the two ways on.
   */
  async function invoiceConflict(ctx: CallContext, key: string): Promise<GuardResult> {
    const { call } = ctx;
    const first = (await audit.readRecent(INVOICE_LOOKBACK)).find(
      (e) => e.event === "intent" && e.tool === call.tool && e.idempotencyKey === key,
    );
    const original = first?.args.arguments;
    const changes =
      original && typeof original === "object"
        ? diffArgs(JSON.stringify(original), call.args).filter((c) => c.name !== "idempotencyKey")
        : [];
    const orderId = call.summary.orderId ?? "";
    const what = changes.length
      ? `other arguments: ${describeChanges(changes, "first")}`
      : "other customMetadata, redirectUrl or customerRefId";
    const message =
      `Refused by SpacePay: this ${describeKind(call.summary)} (orderId ${JSON.stringify(orderId)}, same amount) was already created with ${what}. ` +
      `Nothing new was created.\nNext step: for a new one, call ${call.tool} again with a new orderId; ` +
      `to fetch the first, use list_payments with search ${JSON.stringify(orderId)}.`;
    return {
      structured: {
        status: "refused",
        rule: "idempotencyKey",
        configured: null,
        message,
        differs: changes.map((c) => c.name),
      },
      text: message,
      isError: true,
    };
  }

  async function approvalCall(handle: string): Promise<ApprovalLookup> {
    try {
      const record = await store.tokens.get(hashApprovalHandle(handle));
      return record
        ? { tool: record.tool, args: JSON.parse(record.canonicalArgs) as Record<string, unknown> }
        : null;
    } catch (err) {
      // A backend that went away cannot say the handle is unknown: fail closed, as run() does.
      if (err instanceof StateUnavailableError) return { refused: unavailableResult(err) };
      throw err;
    }
  }

  return { run, drain, approvalCall };
}

/** How far back in the audit log the first request for an invoice is looked for. */
const INVOICE_LOOKBACK = 2_000;
