// The money-moving guard: the one wrapper around create_payment, create_deposit and
// create_withdrawal that enforces policy, confirmation, idempotency, the rolling cap and the audit log.
import type { MoneySummary, Mode, ToolResult } from "../domain.js";
import type { AuditEntry, AuditLog, ConfirmedBy } from "./audit.js";
import {
  TOKEN_ARG,
  argsFingerprint,
  buildElicitation,
  cleanSummary,
  canonicalArgs,
  canonicalJson,
  confirmationSummary,
  describeAction,
  describeChanges,
  diffArgs,
  hashToken,
  newConfirmationToken,
  type ElicitationRequest,
} from "./confirm.js";
import { derivePaymentKey, newWithdrawalKey, paymentTypeOf } from "./idempotency.js";
import { DAY_MS, checkDailyLimit, checkPolicy, type Refusal, type SafetyPolicy } from "./policy.js";
import type { StateStore } from "./store.js";
import { log } from "../log.js";
import { IdempotencyKeyReusedError } from "../spacepay/errors.js";
import { failureOf } from "../spacepay/failure.js";

export type ElicitAction = "accept" | "decline" | "cancel";

export type ElicitFn = (
  req: ElicitationRequest,
  opts: { timeoutMs: number; signal: AbortSignal },
) => Promise<{ action: ElicitAction; content?: Record<string, unknown> }>;

export interface ExecuteResult {
  result: ToolResult<Record<string, unknown>>;
  ids: Record<string, string>;
  requestId: string | null;
  replayed: boolean;
}

export interface GuardedCall {
  tool: string;
  kind: "payment" | "withdrawal";
  /** The tool's arguments as the client sent them, `confirmationToken` included when present. */
  args: Record<string, unknown>;
  summary: MoneySummary;
  signal: AbortSignal;
  /** Undefined when the client did not declare the elicitation capability. */
  elicit?: ElicitFn;
  /** Makes the one API call, with the guard's idempotency key. */
  execute: (idempotencyKey: string) => Promise<ExecuteResult>;
}

export interface GuardResult {
  structured: Record<string, unknown>;
  text: string;
  isError?: boolean;
}

export type { FailureClass } from "../spacepay/errors.js";

export interface GuardDeps {
  policy: SafetyPolicy;
  mode: Mode;
  store: StateStore;
  audit: AuditLog;
  /** See fingerprintMerchantKey; part of every derived payment key. */
  merchantKeyFingerprint: string;
  now?: () => Date;
}

export interface Guard {
  run(call: GuardedCall): Promise<GuardResult>;
  /**
   * For a graceful stop: refuses new calls from now on and waits, up to `timeoutMs`, for the calls
   * past confirmation to record their outcomes. Says what it waited for and what did not finish.
   */
  drain(timeoutMs: number): Promise<{ waited: string[]; unfinished: string[] }>;
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
 * How long an in_flight token (claimed, then the process crashed or the call failed ambiguously) may
 * be presented again to resume with its key. Longer than the confirmation TTL on purpose: the user
 * approved exactly these arguments, and resuming reuses the key the API may already have.
 */
export const RESUME_WINDOW_MS = DAY_MS;

/** Runs one bookkeeping step; on failure logs it and returns what could not be done, instead of throwing. */
function settle(what: string, step: () => void): string | null {
  try {
    step();
    return null;
  } catch (err) {
    const reason = `could not ${what}: ${errorInfo(err).message}`;
    log("error", reason);
    return reason;
  }
}

function errorInfo(err: unknown): { class: string; message: string } {
  if (err instanceof Error) return { class: err.constructor?.name || err.name, message: err.message };
  return { class: typeof err, message: String(err) };
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

function tokenRefusal(message: string): Refusal {
  return { rule: TOKEN_ARG, configured: null, message: `Refused: ${message} Nothing was sent.` };
}

type Confirmation =
  { ok: true; by: ConfirmedBy; token?: { hash: string; key: string } } | { ok: false; result: GuardResult };

export function createGuard(deps: GuardDeps): Guard {
  const { policy, mode, store, audit } = deps;
  const clock = deps.now ?? (() => new Date());
  // Tokens being processed by a call in this process; a second concurrent presentation is refused
  // rather than racing the first (across processes, the shared idempotency key covers it).
  const running = new Set<string>();
  // Calls past confirmation, which a graceful stop waits for; what each is, for the stop's log line.
  const inFlight = new Map<Promise<unknown>, string>();
  let stopping = false;

  async function run(call: GuardedCall): Promise<GuardResult> {
    if (stopping) return stoppingResult();
    const ctx = new CallContext(call);

    const refusal = checkPolicy(call.summary, policy, mode) ?? ctx.rollingPreCheck();
    if (refusal) return ctx.refuse(refusal, null);

    const confirmation = await confirm(ctx);
    if (!confirmation.ok) return confirmation.result;
    const token = confirmation.token;
    const proceeding = proceed(ctx, confirmation.by, token);
    inFlight.set(proceeding, describeAction(call.summary, mode));
    try {
      return await proceeding;
    } finally {
      inFlight.delete(proceeding);
      if (token) running.delete(token.hash);
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
  class CallContext {
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

    record(entry: Omit<AuditEntry, "time" | "tool" | "args">): void {
      audit.append({
        time: clock().toISOString(),
        tool: this.call.tool,
        args: this.auditArgs,
        ...(this.tokenId ? { tokenId: this.tokenId } : {}),
        ...entry,
      });
    }

    refuse(refusal: Refusal, by: ConfirmedBy | null, key: string | null = null): GuardResult {
      this.record({
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
    unresolvedKey(): string | undefined {
      return this.isWithdrawal ? store.ledger.findUnresolved(this.fingerprint)?.idempotencyKey : undefined;
    }

    /** Refuse before asking the user when the cap is already reached (the reserve re-checks atomically). */
    rollingPreCheck(): Refusal | null {
      // A presented token is checked at reservation time, where its own earlier entry is not double counted.
      if (!this.isWithdrawal || this.presentedToken) return null;
      const amount = this.call.summary.amountInCents ?? 0;
      const used = store.ledger.usedCents(clock(), DAY_MS, this.callerKey ?? this.unresolvedKey());
      return checkDailyLimit(amount, used, policy.dailyWithdrawalLimitCents);
    }

    /** Payments: caller's key, else derived. Withdrawals: caller's, else a pending retry's, else new. */
    chooseKey(bound?: string): string {
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
      return this.unresolvedKey() ?? newWithdrawalKey();
    }
  }

  async function confirm(ctx: CallContext): Promise<Confirmation> {
    const { call } = ctx;
    if (policy.confirm === "off") return { ok: true, by: "off" };
    const refuseByMode = (message: string): Confirmation => ({
      ok: false,
      result: ctx.refuse({ rule: "SPACEPAY_CONFIRM", configured: policy.confirm, message }, null),
    });
    if (ctx.presentedToken) {
      if (policy.confirm === "elicitation") {
        return refuseByMode(
          "Refused: this server confirms through the client (SPACEPAY_CONFIRM=elicitation) and does not accept confirmationToken. Call again without it. Nothing was sent.",
        );
      }
      return claimToken(ctx, ctx.presentedToken);
    }
    if (!call.elicit) {
      if (policy.confirm === "elicitation") {
        return refuseByMode(
          "Refused: SPACEPAY_CONFIRM=elicitation requires a client that supports elicitation, and this client did not declare it. Nothing was sent.",
        );
      }
      return { ok: false, result: issueToken(ctx) };
    }
    if (policy.confirm === "token") return { ok: false, result: issueToken(ctx) };
    return elicitConfirmation(ctx, call.elicit);
  }

  async function elicitConfirmation(ctx: CallContext, elicit: ElicitFn): Promise<Confirmation> {
    const { call } = ctx;
    const timeoutMs = policy.confirmTimeoutMs;
    // Our own deadline as well as the one handed to the client, so a client that never answers
    // cannot hold the call open forever.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    // Cancelling the call also ends the prompt (forwarded by hand: AbortSignal.any needs Node 20.3).
    const onCancel = () => deadline.abort(call.signal.reason);
    call.signal.addEventListener("abort", onCancel, { once: true });
    if (call.signal.aborted) onCancel();
    const signal = deadline.signal;
    let answer: Awaited<ReturnType<ElicitFn>>;
    try {
      answer = await new Promise<Awaited<ReturnType<ElicitFn>>>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        elicit(buildElicitation(call.summary, mode), { timeoutMs, signal }).then(resolve, reject);
      });
    } catch (err) {
      if (call.signal.aborted) {
        ctx.record({
          event: "outcome",
          outcome: "cancelled",
          confirmation: "elicitation",
          idempotencyKey: null,
        });
        return {
          ok: false,
          result: { structured: { status: "cancelled" }, text: "The call was cancelled. Nothing was done." },
        };
      }
      const reason =
        deadline.signal.aborted && !call.signal.aborted ? "timed out" : `failed (${errorInfo(err).message})`;
      if (policy.confirm === "auto") {
        return {
          ok: false,
          result: issueToken(ctx, `The confirmation prompt ${reason}, so this uses a token instead. `),
        };
      }
      ctx.record({
        event: "outcome",
        outcome: "confirmation_failed",
        confirmation: "elicitation",
        idempotencyKey: null,
        error: errorInfo(err),
      });
      const message = `The confirmation prompt ${reason}. Nothing was sent.`;
      return {
        ok: false,
        result: { structured: { status: "confirmation_failed", message }, text: message, isError: true },
      };
    } finally {
      clearTimeout(timer);
      call.signal.removeEventListener("abort", onCancel);
    }

    if (answer.action === "accept" && answer.content?.confirm === true)
      return { ok: true, by: "elicitation" };
    // Cancel (the prompt dismissed) is not a no: it is reported as what it was.
    const status = answer.action === "cancel" ? "cancelled" : "declined";
    ctx.record({ event: "outcome", outcome: status, confirmation: "elicitation", idempotencyKey: null });
    const how = answer.action === "accept" ? "did not tick confirm" : status;
    return {
      ok: false,
      result: {
        structured: { status, summary: confirmationSummary(call.summary, mode) },
        text: `The user ${how}. Nothing was done: no ${describeKind(call.summary)} was created.`,
      },
    };
  }

  function issueToken(ctx: CallContext, note = ""): GuardResult {
    const { call } = ctx;
    const token = newConfirmationToken();
    const hash = hashToken(token);
    const now = clock();
    const expiresAt = new Date(now.getTime() + policy.confirmTtlSeconds * 1000);
    // Bound now, so the key the confirmed call will send is on disk before anything is sent.
    const key = ctx.chooseKey();
    store.tokens.issue({
      tokenHash: hash,
      tool: call.tool,
      canonicalArgs: ctx.canonical,
      createdAt: now.getTime(),
      expiresAt: expiresAt.getTime(),
      idempotencyKey: key,
    });
    ctx.tokenId = hash.slice(0, 12);
    ctx.record({
      event: "outcome",
      outcome: "confirmation_required",
      confirmation: "token",
      idempotencyKey: key,
    });
    return {
      structured: {
        status: "confirmation_required",
        confirmationToken: token,
        expiresAt: expiresAt.toISOString(),
        summary: confirmationSummary(call.summary, mode),
      },
      text:
        `${note}Confirmation required; nothing has been done yet. Show the user this summary and ask them to approve it: ` +
        `"${describeAction(call.summary, mode)}" ` +
        `Only once the user approves, call ${call.tool} again with exactly the same arguments plus confirmationToken "${token}" ` +
        `(valid until ${expiresAt.toISOString()}, single use). If the user does not approve, do not call it again.`,
    };
  }

  function claimToken(ctx: CallContext, token: string): Confirmation {
    const { call } = ctx;
    const hash = hashToken(token);
    const refuse = (message: string): Confirmation => ({
      ok: false,
      result: ctx.refuse(tokenRefusal(message), "token"),
    });
    const record = store.tokens.get(hash);
    if (!record) {
      return refuse(
        `confirmationToken is not recognised. Call ${call.tool} without confirmationToken to get a new one.`,
      );
    }
    if (record.tool !== call.tool) {
      return refuse(
        `confirmationToken was issued for ${record.tool}, not ${call.tool}. Call ${call.tool} without confirmationToken to confirm this operation.`,
      );
    }
    if (record.canonicalArgs !== ctx.canonical) {
      const changes = diffArgs(record.canonicalArgs, call.args);
      return refuse(
        `the arguments differ from the ones the user confirmed: ${describeChanges(changes)}. ` +
          `Repeat the confirmed call unchanged, or call without confirmationToken to confirm the new arguments.`,
      );
    }
    if (running.has(hash)) {
      return refuse("this confirmationToken is already being used by a call in progress.");
    }
    const claim = store.tokens.claim(hash, clock(), RESUME_WINDOW_MS);
    if (!claim.ok) {
      if (claim.reason === "used") {
        return refuse(
          `confirmationToken has already been used; each confirmation allows one operation. Call ${call.tool} without confirmationToken to confirm a new one.`,
        );
      }
      if (claim.reason === "expired") {
        const at = new Date(claim.record?.expiresAt ?? 0).toISOString();
        const hint =
          claim.record?.state === "in_flight"
            ? ` An earlier attempt with it may have reached SpacePay (idempotency key ${claim.record.idempotencyKey}); check the recent ${describeKind(call.summary)}s before confirming again.`
            : ` Call ${call.tool} without confirmationToken to confirm again.`;
        return refuse(`confirmationToken expired (at ${at}).${hint}`);
      }
      return refuse(`confirmationToken is not recognised.`);
    }
    // Marked synchronously with the claim, so a concurrent call in this process sees it.
    running.add(hash);
    return { ok: true, by: "token", token: { hash, key: claim.record.idempotencyKey } };
  }

  async function proceed(
    ctx: CallContext,
    by: ConfirmedBy,
    token: { hash: string; key: string } | undefined,
  ): Promise<GuardResult> {
    const { call } = ctx;
    const finishToken = () => {
      if (token) store.tokens.finish(token.hash, clock());
    };

    // Confirmed while a graceful stop began: nothing is sent after the stop has started.
    if (stopping) {
      finishToken();
      ctx.record({
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
      finishToken();
      return ctx.refuse(refusal, by);
    }
    if (call.signal.aborted) {
      finishToken();
      ctx.record({ event: "outcome", outcome: "cancelled", confirmation: by, idempotencyKey: null });
      return { structured: { status: "cancelled" }, text: "The call was cancelled. Nothing was done." };
    }

    const key = ctx.chooseKey(token?.key);
    let reservationId: string | undefined;
    if (ctx.isWithdrawal) {
      // The atomic check-and-reserve; it also stores the key before anything is sent.
      const reserved = store.ledger.reserve({
        amountCents: call.summary.amountInCents ?? 0,
        capCents: policy.dailyWithdrawalLimitCents,
        windowMs: DAY_MS,
        now: clock(),
        chainId: call.summary.chainId,
        recipient: call.summary.recipientAddress,
        argsFingerprint: ctx.fingerprint,
        idempotencyKey: key,
      });
      if (!reserved.ok) {
        finishToken();
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
      ctx.record({ event: "intent", confirmation: by, idempotencyKey: key });
      if (reservationId) store.ledger.markSent(reservationId, clock());
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
      settle("record the failure", () => {
        if (failure === "not_sent") {
          if (reservationId) store.ledger.markFailed(reservationId, clock());
          finishToken();
        }
        // Ambiguous: the ledger entry stays "sent" (still counted) and the token stays in_flight, so
        // repeating the same call resumes with the same key and the API replays instead of paying twice.
        ctx.record({
          event: "outcome",
          outcome: "failed",
          confirmation: by,
          idempotencyKey: key,
          error: errorInfo(err),
          ambiguous: failure === "ambiguous",
          requestId: requestIdOf(err),
        });
      });
      if (!ctx.isWithdrawal && err instanceof IdempotencyKeyReusedError) return invoiceConflict(ctx, key);
      throw err;
    }

    // SpacePay succeeded: a bookkeeping failure from here on must never make the agent repeat the call.
    const unrecorded = [
      reservationId
        ? settle("mark the ledger entry done", () =>
            store.ledger.markDone(reservationId, out.ids.withdrawalId ?? out.ids.id ?? null, clock()),
          )
        : null,
      settle("mark the confirmation used", finishToken),
      settle("write the audit outcome", () =>
        ctx.record({
          event: "outcome",
          outcome: "done",
          confirmation: by,
          idempotencyKey: key,
          ids: out.ids,
          requestId: out.requestId,
          replayed: out.replayed,
        }),
      ),
    ].filter((x): x is string => x !== null);
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
  function unrecordedIntent(
    ctx: CallContext,
    by: ConfirmedBy,
    key: string,
    reservationId: string | undefined,
    finishToken: () => void,
    err: unknown,
  ): GuardResult {
    settle("release the reservation", () => {
      if (reservationId) store.ledger.release(reservationId, clock());
    });
    settle("mark the confirmation used", finishToken);
    // Best effort: the same log just failed, but a torn line is better than no trace.
    settle("write the audit outcome", () =>
      ctx.record({
        event: "outcome",
        outcome: "refused",
        rule: "audit",
        confirmation: by,
        idempotencyKey: key,
      }),
    );
    const message =
      `Refused: the audit log (${audit.file}) could not record this ${describeKind(ctx.call.summary)} before sending it ` +
      `(${errorInfo(err).message}), so nothing was sent. Free space or fix the state directory, then call again.`;
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
  function invoiceConflict(ctx: CallContext, key: string): GuardResult {
    const { call } = ctx;
    const first = audit
      .readRecent(INVOICE_LOOKBACK)
      .find((e) => e.event === "intent" && e.tool === call.tool && e.idempotencyKey === key);
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

  return { run, drain };
}

/** How far back in the audit log the first request for an invoice is looked for. */
const INVOICE_LOOKBACK = 2_000;

function describeKind(summary: MoneySummary): string {
  return summary.action === "create_withdrawal"
    ? "withdrawal"
    : summary.action === "create_deposit"
      ? "deposit"
      : "payment";
}
