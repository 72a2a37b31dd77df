// The money-moving guard: the one wrapper around create_payment, create_deposit and
// create_withdrawal that enforces policy, confirmation, one movement per request, idempotency, the
// rolling cap and the audit log. An identical repeat of a done call replays it; one of a call being
// sent waits for it; one of a call whose outcome is unknown resumes it with the same key.
import type { Mode } from "../domain.js";
import type { ConfirmedBy } from "./audit.js";
import { CallContext, type CallShared } from "./call-context.js";
import type { ConfirmationEnv, PasskeyDesk } from "./channel.js";
import { describeAction, hashApprovalHandle } from "./confirm.js";
import { guessLimited, wrongPresentation } from "./claim.js";
import { confirm } from "./confirmation.js";
import { createGuessLimiter } from "./guesses.js";
import type { Place } from "./identity.js";
import { DAY_MS, checkPolicy, type SafetyPolicy } from "./policy.js";
import { replayResult, waitForCall } from "./replay.js";
import { answer, refusalResult, type GuardResult } from "./results.js";
import { proceed, reportOutcome, settle, stoppingResult, type GuardedCall, type Sent } from "./send.js";
import { StateUnavailableError, type StateStore } from "./state.js";
import { log } from "../log.js";
import { telemetry } from "../telemetry.js";

export type { AppApproval, ElicitAction, ElicitFn, ElicitUrlFn, InputRequiredChannel } from "./channel.js";
export type { GuardResult, InputRequiredAsk } from "./results.js";
export type { ExecuteResult, GuardedCall } from "./send.js";
export type { FailureClass } from "../spacepay/errors.js";
export { stoppingResult } from "./send.js";

export interface GuardDeps {
  policy: SafetyPolicy;
  mode: Mode;
  /** Ledger, confirmations, calls and the audit trail, on either backend. */
  store: StateStore;
  /** See fingerprintMerchantKey; part of every derived payment key and of every artefact's place. */
  merchantKeyFingerprint: string;
  /** The SpacePay API host (every artefact's place); "" where there is none (unit tests). */
  apiHost?: string;
  now?: () => Date;
  /** The longest a call can be in flight at SpacePay: how long an identical call waits for it. */
  callBoundMs?: number;
  /** A sender's hold on a call (SPACEPAY_CALL_LEASE_MS); default 15 s. */
  leaseMs?: number;
  /** The approval pages, where SPACEPAY_APPROVAL=passkey. */
  passkey?: PasskeyDesk;
}

/** The call an approval handle was issued for, exactly as the guard bound it. */
export interface ApprovalCall {
  tool: string;
  args: Record<string, unknown>;
}

/**
 * What an approval handle answers: the call it was issued for, or the refusal to show instead (an
 * unknown handle, a caller guessing too often, or a state that cannot be read: nothing is sent).
 */
export type ApprovalLookup = ApprovalCall | { refused: GuardResult };

export interface Guard {
  run(call: GuardedCall): Promise<GuardResult>;
  approvalCall(handle: string, caller?: string): Promise<ApprovalLookup>;
  /**
   * For a graceful stop: refuses new calls from now on and waits, up to `timeoutMs`, for the calls
   * past confirmation to record their outcomes. Says what it waited for and what did not finish.
   */
  drain(timeoutMs: number): Promise<{ waited: string[]; unfinished: string[] }>;
}

/** What the MCP server holds: run, and (where durable state opens lazily) an async approval lookup. */
export type ServerGuard = Pick<Guard, "run"> & {
  approvalCall?(handle: string, caller?: string): ApprovalLookup | Promise<ApprovalLookup>;
};

/** The answer to a money call when the state backend cannot be reached: nothing was sent. */
function unavailableResult(err: StateUnavailableError): GuardResult {
  const message = `Refused: ${err.message} Money-moving tools are unavailable until it is back; read tools keep working. Nothing was sent.`;
  log("error", message);
  return refusalResult({ rule: err.setting, configured: null, message });
}

/**
 * A sender's hold on a call, renewed while it sends (every third of it): a crashed sender's call is
 * taken over this soon after, by an identical call that resumes it with the same key.
 */
const DEFAULT_LEASE_MS = 15_000;
/** Two minutes: longer than any single SpacePay call with its retries at the defaults. */
const DEFAULT_CALL_BOUND_MS = 120_000;

export function createGuard(deps: GuardDeps): Guard {
  const { policy, mode, store } = deps;
  const clock = deps.now ?? (() => new Date());
  const place: Place = {
    mode,
    apiHost: deps.apiHost ?? "",
    merchantKeyFingerprint: deps.merchantKeyFingerprint,
  };
  const env: ConfirmationEnv = {
    policy,
    mode,
    store,
    clock,
    place,
    guesses: createGuessLimiter(),
    passkey: deps.passkey,
  };
  const waitMs = deps.callBoundMs ?? DEFAULT_CALL_BOUND_MS;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  // Calls past confirmation, which a graceful stop waits for; what each is, for the stop's log line.
  const inFlight = new Map<Promise<unknown>, string>();
  // Identical calls in this process, one at a time: a repeat waits for the prompt or send before it.
  const queues = new Map<string, Promise<unknown>>();
  let stopping = false;
  const shared: CallShared = { env, stopping: () => stopping };

  async function run(call: GuardedCall): Promise<GuardResult> {
    if (stopping) {
      reportOutcome(call, "refused", { rule: "shutdown", confirmation: null });
      return stoppingResult();
    }
    try {
      const ctx = new CallContext(call, shared);
      // An answer is decided by one atomic claim wherever it arrives; only asking is queued.
      return ctx.answering ? await runGuarded(ctx) : await oneAtATime(ctx.callId, () => runGuarded(ctx));
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

  async function oneAtATime<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = queues.get(id) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(fn);
    const tail = mine.catch(() => {});
    queues.set(id, tail);
    try {
      return await mine;
    } finally {
      if (queues.get(id) === tail) queues.delete(id);
    }
  }

  async function runGuarded(ctx: CallContext): Promise<GuardResult> {
    const { call } = ctx;
    if (!ctx.answering) {
      // Already past confirmation (done, being sent, or left unknown): the same call, never a second.
      const earlier = await store.calls.get(ctx.callId);
      // Within the window only: an approval a day old is asked again (the key is still reused).
      if (earlier && earlier.updatedAt > clock().getTime() - DAY_MS) {
        return send(ctx, earlier.confirmedBy as ConfirmedBy, earlier.idempotencyKey);
      }
    }
    const refusal = await telemetry.step(
      "policy",
      async () => checkPolicy(call.summary, policy, mode) ?? (await ctx.rollingPreCheck()),
    );
    if (refusal) return ctx.refuse(refusal, null);
    const asked = await telemetry.step(
      "confirmation",
      () => confirm(ctx),
      (c): Record<string, string> => (c.approved ? { "spacepay.confirmation.channel": c.by } : {}),
    );
    if (!asked.approved) return asked.result;
    return send(ctx, asked.by, asked.key, asked.hash);
  }

  /** Takes the call's lease and sends it; or replays it when done, or waits while another sender holds it. */
  async function send(
    ctx: CallContext,
    by: ConfirmedBy,
    bound: string | undefined,
    approval?: string,
  ): Promise<GuardResult> {
    const key = await ctx.chooseKey(bound);
    for (let rounds = 0; ; rounds++) {
      const got = await store.calls.acquire({
        callId: ctx.callId,
        tool: ctx.call.tool,
        key,
        confirmedBy: by,
        now: clock(),
        leaseMs,
        windowMs: DAY_MS,
      });
      if (got.kind === "acquired") return holding(ctx, by, got.key, approval);
      if (got.kind === "done") {
        return (
          replayResult(env, got.record, ctx.call.summary) ??
          answer(
            "done",
            "An identical call was already done, but its recorded answer cannot be read (the state key changed?). Nothing was sent again.",
          )
        );
      }
      const seen = await waitForCall(env, got.record, ctx.call.signal, waitMs);
      if (
        ctx.call.signal.aborted ||
        rounds > 0 ||
        (seen?.state === "sending" && seen.leaseUntil > clock().getTime())
      ) {
        return answer(
          "in_progress",
          `An identical ${ctx.call.tool} call is being sent right now; nothing was sent twice. Repeat the identical call later for its result.`,
        );
      }
    }
  }

  /** Sends under the lease; releases it in every case: kept as done, forgotten, or left to resume. */
  async function holding(
    ctx: CallContext,
    by: ConfirmedBy,
    key: string,
    approval?: string,
  ): Promise<GuardResult> {
    const sent: { value: Sent } = { value: "unknown" };
    const renew = setInterval(() => {
      const now = clock();
      void settle("renew the hold on the call", () =>
        store.calls.renew(ctx.callId, now.getTime() + leaseMs, now),
      );
    }, leaseMs / 3);
    const proceeding = proceed(ctx, by, key, sent);
    inFlight.set(proceeding, describeAction(ctx.call.summary, mode));
    try {
      return await proceeding;
    } finally {
      clearInterval(renew);
      inFlight.delete(proceeding);
      // Whatever else fails, the channel learns the call's fate (a passkey approval is then done, or open again).
      if (ctx.afterSend && sent.value !== "unknown")
        await settle("settle the approval", () => ctx.afterSend!(sent.value === "recorded"));
      if (sent.value === "unknown")
        await settle("release the call", () => store.calls.release(ctx.callId, clock()));
      if (sent.value === "not_sent") {
        // Forgotten, so an identical call starts afresh; and its approval is used up (single use).
        await settle("release the call", async () => {
          await store.calls.drop(ctx.callId);
          if (approval) await store.confirmations.spend(approval, clock());
        });
      }
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

  /** The call a card's handle was issued for; a wrong handle counts against the caller, like a wrong token. */
  async function approvalCall(handle: string, caller?: string): Promise<ApprovalLookup> {
    const words = { by: "app" as const, rule: "approval", what: "this approval", again: "Ask for it again." };
    // A context without a call of its own: what the audit can say of a handle that names none.
    const probe = new CallContext(
      {
        tool: "approval card",
        args: {},
        summary: { action: "create_withdrawal", amountInCents: null, currency: "USD" },
        signal: new AbortController().signal,
        caller,
        execute: () => Promise.reject(new Error("not a call")),
      },
      shared,
    );
    try {
      const limited = guessLimited(probe, words);
      if (limited) return { refused: limited };
      const record = await store.confirmations.get(hashApprovalHandle(handle));
      if (record?.channel === "app")
        return { tool: record.tool, args: JSON.parse(record.canonicalArgs) as Record<string, unknown> };
      return { refused: await wrongPresentation(probe, words, "this approval is not recognised.") };
    } catch (err) {
      // A backend that went away cannot say the handle is unknown: fail closed, as run() does.
      if (err instanceof StateUnavailableError) return { refused: unavailableResult(err) };
      throw err;
    }
  }

  return { run, drain, approvalCall };
}
