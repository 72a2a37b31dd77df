// The confirmation flow of a money call: by SPACEPAY_CONFIRM mode and what the client can do, it asks
// the user through elicitation (with our own deadline, and the call's cancellation), or on 2026-07-28
// through an `input_required` result with a sealed single-use requestState, or issues a single-use
// token bound to the exact arguments, or claims a presented one. The guard (guard.ts)
// decides what happens before and after; this decides only whether the user confirmed, and how.
import type { Mode, MoneySummary } from "../domain.js";
import { auditError, type AuditEntry, type ConfirmedBy } from "./audit.js";
import {
  TOKEN_ARG,
  argsFingerprint,
  buildElicitation,
  confirmationSummary,
  describeAction,
  describeChanges,
  describeKind,
  diffArgs,
  hashApprovalHandle,
  hashToken,
  newApprovalHandle,
  newConfirmationToken,
  type ElicitationRequest,
} from "./confirm.js";
import { DAY_MS, type Refusal, type SafetyPolicy } from "./policy.js";
import type { StateStore } from "./state.js";

export type ElicitAction = "accept" | "decline" | "cancel";

export type ElicitFn = (
  req: ElicitationRequest,
  opts: { timeoutMs: number; signal: AbortSignal },
) => Promise<{ action: ElicitAction; content?: Record<string, unknown> }>;

/**
 * A 2026-07-28 client that declared elicitation: it is asked through an `input_required` result and
 * retries the call with its answer and our `requestState` (both as received: untrusted).
 */
export interface InputRequiredChannel {
  responses?: Record<string, unknown>;
  requestState?: string;
}

/** The embedded prompt and sealed state of an `input_required` answer (2026-07-28). */
export interface InputRequiredAsk {
  /** Keyed as in the result's `inputRequests`; the retry's `inputResponses` answer under the same key. */
  key: string;
  elicitation: ElicitationRequest;
  requestState: string;
}

/** What a call's answer looks like when it ends before (or instead of) the API call. */
export interface GuardResult {
  structured: Record<string, unknown>;
  text: string;
  isError?: boolean;
  /** Set when the answer is `input_required` (the client asks the user, then retries). */
  inputRequired?: InputRequiredAsk;
  /** An approval the client's MCP App card asks the user for: for the result's _meta, never the model. */
  approval?: { handle: string; expiresAt: string };
}

/**
 * The client renders MCP Apps. With a handle, this call is the user's answer in the approval card
 * (the app-only tool); without, an approval may be asked for there.
 */
export interface AppApproval {
  handle?: string;
  decision?: "approve" | "decline";
}

/**
 * How long an in_flight token (claimed, then the process crashed or the call failed ambiguously) may
 * be presented again to resume with its key. Longer than the confirmation TTL on purpose: the user
 * approved exactly these arguments, and resuming reuses the key the API may already have.
 */
export const RESUME_WINDOW_MS = DAY_MS;

/** A money call as confirmation sees it: what is asked for, and what the client can do. */
export interface ConfirmableCall {
  tool: string;
  /** The tool's arguments as the client sent them, `confirmationToken` included when present. */
  args: Record<string, unknown>;
  summary: MoneySummary;
  signal: AbortSignal;
  /** Undefined when the client did not declare the elicitation capability. */
  elicit?: ElicitFn;
  /** The OAuth subject calling; recorded in every audit entry, and the only one who may redeem its tokens. */
  caller?: string;
  /** Set when the client renders MCP Apps; with a handle, the user's answer in the approval card. */
  app?: AppApproval;
  /** Set for a 2026-07-28 client that declared elicitation (elicit is then undefined): asked through input_required. */
  inputRequired?: InputRequiredChannel;
}

/** The guard's per-call view that confirmation reads and records through. */
export interface ConfirmationContext {
  readonly call: ConfirmableCall;
  /** The canonical JSON of the arguments a token is bound to. */
  readonly canonical: string;
  readonly presentedToken: string | undefined;
  /** Set once a token is issued, so later audit lines tie back to it. */
  tokenId: string | undefined;
  record(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<void>;
  refuse(refusal: Refusal, by: ConfirmedBy | null): Promise<GuardResult>;
  /** The idempotency key the confirmed call will send (the guard alone chooses it). */
  chooseKey(): Promise<string>;
}

export type Confirmation =
  | {
      ok: true;
      by: ConfirmedBy;
      token?: { hash: string; key: string };
      /** The idempotency key bound when confirmation was asked for (a sealed requestState's). */
      key?: string;
    }
  | { ok: false; result: GuardResult };

export interface ConfirmationDeps {
  policy: SafetyPolicy;
  mode: Mode;
  store: StateStore;
  clock: () => Date;
}

export interface ConfirmationFlow {
  confirm(ctx: ConfirmationContext): Promise<Confirmation>;
  /** Ends this process's hold on a claimed token once its call has finished. */
  release(tokenHash: string): void;
}

/** The AAD purpose of a money call's sealed requestState (seal.ts). */
const REQUEST_STATE_PURPOSE = "request-state";
/** The `inputRequests` key of the confirmation prompt. */
const CONFIRM_INPUT = "confirm";

/** What a sealed requestState binds. */
interface RequestStateClaims {
  tool: string;
  /** argsFingerprint: the tool and the canonical arguments. */
  digest: string;
  /** The canonical arguments themselves (sealed, so encrypted), only to name what changed. */
  args: string;
  /** The idempotency key the guard chose when asking. */
  key: string;
  /** The OAuth subject asked, or null without OAuth. */
  caller: string | null;
}

function isRequestStateClaims(c: unknown): c is RequestStateClaims {
  const o = c as Record<string, unknown>;
  return (
    typeof o.tool === "string" &&
    typeof o.digest === "string" &&
    typeof o.args === "string" &&
    typeof o.key === "string" &&
    (o.caller === null || typeof o.caller === "string")
  );
}

function tokenRefusal(message: string): Refusal {
  return { rule: TOKEN_ARG, configured: null, message: `Refused: ${message} Nothing was sent.` };
}

/** The caller cancelled before anything was sent: recorded, and said so. */
export async function cancelled(
  ctx: Pick<ConfirmationContext, "record">,
  by: ConfirmedBy,
): Promise<GuardResult> {
  await ctx.record({ event: "outcome", outcome: "cancelled", confirmation: by, idempotencyKey: null });
  return { structured: { status: "cancelled" }, text: "The call was cancelled. Nothing was done." };
}

export function createConfirmationFlow(deps: ConfirmationDeps): ConfirmationFlow {
  const { policy, mode, store, clock } = deps;
  // Tokens being processed by a call in this process; a second concurrent presentation is refused
  // rather than racing the first (across processes, the shared idempotency key covers it).
  const running = new Set<string>();

  async function confirm(ctx: ConfirmationContext): Promise<Confirmation> {
    const { call } = ctx;
    if (policy.confirm === "off") return { ok: true, by: "off" };
    // Only auto mode issues handles, so only auto mode takes them back.
    if (call.app?.handle && policy.confirm === "auto")
      return answerApproval(ctx, call.app.handle, call.app.decision);
    const refuseByMode = async (message: string): Promise<Confirmation> => ({
      ok: false,
      result: await ctx.refuse({ rule: "SPACEPAY_CONFIRM", configured: policy.confirm, message }, null),
    });
    if (ctx.presentedToken) {
      if (policy.confirm === "elicitation") {
        return refuseByMode(
          "Refused: this server confirms through the client (SPACEPAY_CONFIRM=elicitation) and does not accept confirmationToken. Call again without it. Nothing was sent.",
        );
      }
      return claimToken(ctx, ctx.presentedToken);
    }
    // Token mode keeps tokens only; the other modes count input_required as the client's confirmation.
    if (call.inputRequired && policy.confirm !== "token")
      return confirmByInputRequired(ctx, call.inputRequired);
    if (!call.elicit) {
      if (policy.confirm === "elicitation") {
        return refuseByMode(
          "Refused: SPACEPAY_CONFIRM=elicitation requires a client that supports elicitation, and this client did not declare it. Nothing was sent.",
        );
      }
      // A host that renders the approval card lets the person click; only otherwise does the model
      // round-trip a token (a forced preview, not a person's consent).
      if (policy.confirm === "auto" && call.app) return { ok: false, result: await issueApproval(ctx) };
      return { ok: false, result: await issueToken(ctx) };
    }
    if (policy.confirm === "token") return { ok: false, result: await issueToken(ctx) };
    return elicitConfirmation(ctx, call.elicit);
  }

  async function elicitConfirmation(ctx: ConfirmationContext, elicit: ElicitFn): Promise<Confirmation> {
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
        return { ok: false, result: await cancelled(ctx, "elicitation") };
      }
      const reason =
        deadline.signal.aborted && !call.signal.aborted ? "timed out" : `failed (${auditError(err).message})`;
      if (policy.confirm === "auto") {
        return {
          ok: false,
          result: await issueToken(ctx, `The confirmation prompt ${reason}, so this uses a token instead. `),
        };
      }
      await ctx.record({
        event: "outcome",
        outcome: "confirmation_failed",
        confirmation: "elicitation",
        idempotencyKey: null,
        error: auditError(err),
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
    return { ok: false, result: await declined(ctx, answer.action, "elicitation") };
  }

  /** The user said no to a prompt (elicitation or input_required), or dismissed it. */
  async function declined(
    ctx: ConfirmationContext,
    action: ElicitAction,
    by: ConfirmedBy,
  ): Promise<GuardResult> {
    const { call } = ctx;
    // Cancel (the prompt dismissed) is not a no: it is reported as what it was.
    const status = action === "cancel" ? "cancelled" : "declined";
    await ctx.record({ event: "outcome", outcome: status, confirmation: by, idempotencyKey: null });
    const how = action === "accept" ? "did not tick confirm" : status;
    return {
      structured: { status, summary: confirmationSummary(call.summary, mode) },
      text: `The user ${how}. Nothing was done: no ${describeKind(call.summary)} was created.`,
    };
  }

  /**
   * 2026-07-28: the first call answers input_required with the same prompt as elicitation and a
   * sealed requestState; the retry brings the answer, and the state is checked and used up.
   */
  async function confirmByInputRequired(
    ctx: ConfirmationContext,
    channel: InputRequiredChannel,
  ): Promise<Confirmation> {
    if (channel.requestState === undefined) return { ok: false, result: await askByInputRequired(ctx) };
    const { call } = ctx;
    const refuse = async (message: string): Promise<Confirmation> => ({
      ok: false,
      result: await ctx.refuse(
        {
          rule: "requestState",
          configured: null,
          message: `Refused: ${message} Nothing was sent. Call ${call.tool} again without it to be asked again.`,
        },
        "input_required",
      ),
    });
    const now = clock();
    const opened = store.claims.open<RequestStateClaims>(REQUEST_STATE_PURPOSE, channel.requestState, now);
    if (!opened.ok) {
      return refuse(
        opened.reason === "expired"
          ? "the requestState has expired: the confirmation was not answered in time."
          : "the requestState was altered or was not issued by this server.",
      );
    }
    const claims = opened.claims;
    if (!isRequestStateClaims(claims)) return refuse("the requestState was not issued by this server.");
    if (claims.tool !== call.tool)
      return refuse(`the requestState was issued for ${claims.tool}, not ${call.tool}.`);
    if (claims.caller !== (call.caller ?? null))
      return refuse("the requestState was issued to another caller.");
    if (claims.digest !== argsFingerprint(call.tool, call.args)) {
      return refuse(
        `the arguments differ from the ones the user was asked to confirm: ${describeChanges(diffArgs(claims.args, call.args))}.`,
      );
    }
    // Used up by any answer, before it is read: a declined state cannot be replayed as an accept.
    if (!(await store.consumedStates.consume(opened.id, opened.expiresAt, now))) {
      return refuse("this requestState has already been used; each confirmation allows one operation.");
    }
    const answer = readAnswer(channel.responses?.[CONFIRM_INPUT]);
    if (answer.action === "accept" && answer.content?.confirm === true) {
      return { ok: true, by: "input_required", key: claims.key };
    }
    return { ok: false, result: await declined(ctx, answer.action, "input_required") };
  }

  async function askByInputRequired(ctx: ConfirmationContext): Promise<GuardResult> {
    const { call } = ctx;
    // The state's life is the time the user has to answer the prompt, as for elicitation
    // (SPACEPAY_CONFIRM_TIMEOUT_MS), not a token's TTL: it is a prompt, not a model-held preview.
    const expiresAt = clock().getTime() + policy.confirmTimeoutMs;
    // Bound now, like a token's; the guard's ledger reservation stores it before anything is sent.
    const key = await ctx.chooseKey();
    const claims: RequestStateClaims = {
      tool: call.tool,
      digest: argsFingerprint(call.tool, call.args),
      args: ctx.canonical,
      key,
      caller: call.caller ?? null,
    };
    const requestState = store.claims.seal(REQUEST_STATE_PURPOSE, claims, expiresAt);
    await ctx.record({
      event: "outcome",
      outcome: "confirmation_required",
      confirmation: "input_required",
      idempotencyKey: key,
    });
    return {
      structured: { status: "confirmation_required", summary: confirmationSummary(call.summary, mode) },
      text: `Confirmation required; nothing has been done yet. The user is asked: ${describeAction(call.summary, mode)}`,
      inputRequired: { key: CONFIRM_INPUT, elicitation: buildElicitation(call.summary, mode), requestState },
    };
  }

  /**
   * Stores a token or approval handle (by its hash) bound to this exact call, its caller and the
   * idempotency key the confirmed call will send: bound now, so the key is on disk before anything is
   * sent. Returns when it expires.
   */
  async function bindToCall(ctx: ConfirmationContext, hash: string, by: "token" | "app"): Promise<Date> {
    const now = clock();
    const expiresAt = new Date(now.getTime() + policy.confirmTtlSeconds * 1000);
    const key = await ctx.chooseKey();
    await store.tokens.issue({
      tokenHash: hash,
      tool: ctx.call.tool,
      canonicalArgs: ctx.canonical,
      createdAt: now.getTime(),
      expiresAt: expiresAt.getTime(),
      idempotencyKey: key,
      caller: ctx.call.caller ?? null,
    });
    ctx.tokenId = hash.slice(0, 12);
    await ctx.record({
      event: "outcome",
      outcome: "confirmation_required",
      confirmation: by,
      idempotencyKey: key,
    });
    return expiresAt;
  }

  async function issueToken(ctx: ConfirmationContext, note = ""): Promise<GuardResult> {
    const { call } = ctx;
    const token = newConfirmationToken();
    const expiresAt = await bindToCall(ctx, hashToken(token), "token");
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

  /** Binds a handle to the exact call, like a token, but hands it to the approval card only. */
  async function issueApproval(ctx: ConfirmationContext): Promise<GuardResult> {
    const { call } = ctx;
    const handle = newApprovalHandle();
    const expiresAt = await bindToCall(ctx, hashApprovalHandle(handle), "app");
    return {
      structured: {
        status: "confirmation_required",
        expiresAt: expiresAt.toISOString(),
        summary: confirmationSummary(call.summary, mode),
      },
      text:
        `Nothing has been done yet: the user is being shown an approval card for this, with Approve and Decline: ` +
        `"${describeAction(call.summary, mode)}" ` +
        `The card sends it only if the user approves (until ${expiresAt.toISOString()}), and shows the outcome. ` +
        `Do not call ${call.tool} again for it; there is no token to pass.`,
      approval: { handle, expiresAt: expiresAt.toISOString() },
    };
  }

  /** The user's click in the card: Approve claims the handle like a token; Decline voids it. */
  async function answerApproval(
    ctx: ConfirmationContext,
    handle: string,
    decision: AppApproval["decision"],
  ): Promise<Confirmation> {
    const { call } = ctx;
    const hash = hashApprovalHandle(handle);
    ctx.tokenId = hash.slice(0, 12);
    const refuse = async (message: string): Promise<Confirmation> => ({
      ok: false,
      result: await ctx.refuse(
        { rule: "approval", configured: null, message: `Refused: ${message} Nothing was sent.` },
        "app",
      ),
    });
    const record = await store.tokens.get(hash);
    // The server looked the call up by this handle; a mismatch means the handle was not for it.
    if (!record || record.tool !== call.tool || record.canonicalArgs !== ctx.canonical) {
      return refuse("this approval is not recognised.");
    }
    // Like a token: only the caller it was issued to may answer it.
    if (record.caller !== (call.caller ?? null)) return refuse("this approval was issued to another caller.");
    if (running.has(hash)) return refuse("this approval is already being carried out.");
    // Held before the claim is awaited, as for a token (see claimToken).
    running.add(hash);
    let claim: Awaited<ReturnType<StateStore["tokens"]["claim"]>>;
    try {
      claim = await store.tokens.claim(hash, clock(), RESUME_WINDOW_MS);
    } catch (err) {
      running.delete(hash);
      throw err;
    }
    if (!claim.ok || decision !== "approve") running.delete(hash);
    if (!claim.ok) {
      if (claim.reason === "used")
        return refuse("this approval has already been answered; each allows one operation.");
      if (claim.reason === "expired") {
        return refuse(
          `this approval expired (at ${new Date(claim.record?.expiresAt ?? 0).toISOString()}). Ask again.`,
        );
      }
      return refuse("this approval is not recognised.");
    }
    if (decision !== "approve") {
      await store.tokens.finish(hash, clock());
      await ctx.record({ event: "outcome", outcome: "declined", confirmation: "app", idempotencyKey: null });
      return {
        ok: false,
        result: {
          structured: { status: "declined", summary: confirmationSummary(call.summary, mode) },
          text: `The user declined in the approval card. Nothing was done: no ${describeKind(call.summary)} was created.`,
        },
      };
    }
    return { ok: true, by: "app", token: { hash, key: claim.record.idempotencyKey } };
  }

  async function claimToken(ctx: ConfirmationContext, token: string): Promise<Confirmation> {
    const { call } = ctx;
    const hash = hashToken(token);
    const refuse = async (message: string): Promise<Confirmation> => ({
      ok: false,
      result: await ctx.refuse(tokenRefusal(message), "token"),
    });
    const record = await store.tokens.get(hash);
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
    // Checked before the claim, so a wrong presenter cannot use up the token of the one it belongs to.
    if (record.caller !== (call.caller ?? null)) {
      return refuse(
        `confirmationToken was issued to another caller; a confirmation is valid only for the person who confirmed. Call ${call.tool} without confirmationToken to confirm it yourself.`,
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
    // Held before the claim is awaited, so a concurrent call in this process sees it; across
    // processes and instances the claim itself is the one atomic step.
    running.add(hash);
    let claim: Awaited<ReturnType<StateStore["tokens"]["claim"]>>;
    try {
      claim = await store.tokens.claim(hash, clock(), RESUME_WINDOW_MS);
    } catch (err) {
      running.delete(hash);
      throw err;
    }
    if (!claim.ok) {
      running.delete(hash);
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
    return { ok: true, by: "token", token: { hash, key: claim.record.idempotencyKey } };
  }

  return { confirm, release: (hash) => void running.delete(hash) };
}

/**
 * A retry's answer to the prompt, read defensively (it is the client's): anything but a well-formed
 * accept, decline or cancel counts as cancel, so it can never confirm.
 */
function readAnswer(raw: unknown): { action: ElicitAction; content?: Record<string, unknown> } {
  if (raw === null || typeof raw !== "object") return { action: "cancel" };
  const { action, content } = raw as { action?: unknown; content?: unknown };
  if (action !== "accept" && action !== "decline" && action !== "cancel") return { action: "cancel" };
  const fields =
    content !== null && typeof content === "object" ? (content as Record<string, unknown>) : undefined;
  return { action, content: fields };
}
