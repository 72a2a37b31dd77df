// Sending a confirmed money call once it holds the call's lease: policy again, the ledger reservation
// (withdrawals), the audit intent, the one API call, and its outcome in the ledger, the call record
// and the audit. Says whether anything can have been sent, so the guard settles the lease.
import type { ToolResult } from "../domain.js";
import { log } from "../log.js";
import { telemetry } from "../telemetry.js";
import { IdempotencyKeyReusedError } from "../spacepay/errors.js";
import { failureOf } from "../spacepay/failure.js";
import { auditError, type AuditEntry, type AuditOutcome, type ConfirmedBy } from "./audit.js";
import type { AuditMark } from "./audit-chain.js";
import type { ChannelContext, ConfirmableCall } from "./channel.js";
import { describeChanges, describeKind, diffArgs } from "./confirm.js";
import { DAY_MS, checkDailyLimit, checkPolicy } from "./policy.js";
import { sealResult } from "./replay.js";
import { answer, cancelled, doneMessage, refusalResult, type GuardResult } from "./results.js";

export interface ExecuteResult {
  result: ToolResult<Record<string, unknown>>;
  ids: Record<string, string>;
  requestId: string | null;
  replayed: boolean;
}

export interface GuardedCall extends ConfirmableCall {
  /** Makes the one API call, with the guard's idempotency key. */
  execute: (idempotencyKey: string) => Promise<ExecuteResult>;
}

/** What the guard's per-call context offers sending, beyond a channel's view. */
export interface SendContext extends ChannelContext {
  readonly call: GuardedCall;
  readonly fingerprint: string;
  readonly isWithdrawal: boolean;
  /** Whether the guard is stopping (nothing is sent after a graceful stop began). */
  stopping(): boolean;
  /** Writes one entry for this call; answers where it landed in the trail. */
  append(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<AuditMark>;
}

/** How a send ended, for the call's lease: recorded as done, nothing sent (forget it), or unknown (keep its key). */
export type Sent = "recorded" | "not_sent" | "unknown";

/**
 * Every money call's end, as one info line (what an operator reads): the tool, the amount, how it
 * ended, the rule behind a refusal, who called and how it was confirmed. Built from the call's summary
 * and the audit entry's fields, which hold no secret; never the arguments.
 */
export function reportOutcome(
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

/** The answer to a money call that arrives while the server is stopping. */
export function stoppingResult(): GuardResult {
  return refusalResult({
    rule: "shutdown",
    configured: null,
    message: "Refused: the server is shutting down. Nothing was sent; call again once it is back.",
  });
}

/** Runs one bookkeeping step; on failure logs it and returns what could not be done, instead of throwing. */
export async function settle(what: string, step: () => Promise<unknown>): Promise<string | null> {
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

/**
 * Sends the call with `key`. `sent.value` says how it ended when it returns or throws; it starts
 * "unknown", so an exception nobody classified keeps the key for a resume.
 */
export async function proceed(
  ctx: SendContext,
  by: ConfirmedBy,
  key: string,
  sent: { value: Sent },
): Promise<GuardResult> {
  const { call, env } = ctx;
  const { policy, mode, store, clock } = env;
  const nothing = (result: GuardResult | Promise<GuardResult>) => {
    sent.value = "not_sent";
    return result;
  };
  // Confirmed while a graceful stop began: nothing is sent after the stop has started.
  if (ctx.stopping()) {
    await ctx.record({
      event: "outcome",
      outcome: "refused",
      rule: "shutdown",
      confirmation: by,
      idempotencyKey: null,
    });
    return nothing(stoppingResult());
  }
  // Again just before the call: confirmation can take minutes, and the rules are cheap.
  const refusal = checkPolicy(call.summary, policy, mode);
  if (refusal) return nothing(ctx.refuse(refusal, by));
  if (call.signal.aborted) return nothing(cancelled(ctx.record.bind(ctx), by));

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
      const over =
        reserved.reason === "cap" &&
        checkDailyLimit(call.summary.amountInCents ?? 0, reserved.usedCents, reserved.capCents);
      if (over) return nothing(ctx.refuse(over, by));
      return nothing(
        ctx.refuse(
          {
            rule: "idempotencyKey",
            configured: null,
            message: `Refused: idempotency key ${key} was already used for a different withdrawal. Nothing was sent.`,
          },
          by,
        ),
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
    return nothing(unrecordedIntent(ctx, by, key, reservationId, err));
  }

  let out: ExecuteResult;
  try {
    out = await call.execute(key);
  } catch (err) {
    // Decided by the request pipeline from every attempt (src/spacepay/failure.ts), not here.
    const failure = failureOf(err);
    if (failure === "not_sent") sent.value = "not_sent";
    // Bookkeeping that fails here must not hide the API's error, which says what the agent may do.
    await settle("record the failure", async () => {
      if (failure === "not_sent" && reservationId) await store.ledger.markFailed(reservationId, clock());
      // Ambiguous: the ledger entry stays "sent" (still counted) and the call keeps its key, so
      // repeating the same call resumes it and the API replays instead of paying twice.
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
  const result: GuardResult = {
    structured: {
      ...out.result.structured,
      status: "done",
      message: doneMessage(call.summary, out.replayed),
      confirmation: { by, idempotencyKey: key, replayed: out.replayed },
    },
    text: out.result.text,
  };
  // One after another, in this order (ledger, call record, audit), as each may depend on the same store.
  const steps: Array<[string, () => Promise<unknown>]> = [
    [
      "record the call's answer",
      () => store.calls.finish(ctx.callId, sealResult(env, ctx.callId, result), clock()),
    ],
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
  const unrecorded: string[] = [];
  for (const [what, step] of steps) {
    const failed = await settle(what, step);
    if (failed) unrecorded.push(failed);
    else if (what === "record the call's answer") sent.value = "recorded";
  }
  if (!unrecorded.length) return result;
  const warning =
    `Warning: this succeeded at SpacePay, but the server could not record the outcome (${unrecorded.join("; ")}). ` +
    `Do not repeat the call: it is done. The server settles the record with SpacePay when it next starts.`;
  return {
    structured: { ...result.structured, warning },
    text: `${result.text}\n${warning}`,
  };
}

/**
 * The intent could not be written (full disk, I/O error, unwritable state): nothing was sent, so
 * the reservation stops counting, and the agent is told so.
 */
async function unrecordedIntent(
  ctx: SendContext,
  by: ConfirmedBy,
  key: string,
  reservationId: string | undefined,
  err: unknown,
): Promise<GuardResult> {
  const { store, clock } = ctx.env;
  await settle("release the reservation", async () => {
    if (reservationId) await store.ledger.release(reservationId, clock());
  });
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
    `Refused: the audit log (${store.audit.where}) could not record this ${describeKind(ctx.call.summary)} before sending it ` +
    `(${auditError(err).message}), so nothing was sent. Free space or fix the state directory, then call again.`;
  log("error", message);
  return refusalResult({ rule: "audit", configured: null, message });
}

/** How far back in the audit log the first request for an invoice is looked for. */
const INVOICE_LOOKBACK = 2_000;

/**
 * SpacePay refused a payment whose derived key (same order, amount, currency, type) it saw before
 * with another body: say which arguments differ from the first (from the audit log, when this
 * server made it) and the two ways on.
 */
async function invoiceConflict(ctx: SendContext, key: string): Promise<GuardResult> {
  const { call } = ctx;
  const first = (await ctx.env.store.audit.readRecent(INVOICE_LOOKBACK)).find(
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
  return answer(
    "refused",
    message,
    { rule: "idempotencyKey", configured: null, differs: changes.map((c) => c.name) },
    true,
  );
}
