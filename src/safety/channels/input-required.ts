// The input_required channel (2026-07-28 with elicitation): the first call answers input_required with
// the same prompt as elicitation and a sealed requestState; the retry brings the answer with it, and
// the state is decided once. An identical repeat without a state gets the same prompt and state.
import type { Asked, Channel, ChannelContext, ElicitAction } from "../channel.js";
import { claim, hold, reopen, wrongPresentation, guessLimited, type ArtefactWords } from "../claim.js";
import { buildElicitation, describeAction, sha256 } from "../confirm.js";
import { placeMismatch, placeOf } from "../identity.js";
import { pendingResult, type GuardResult } from "../results.js";

/** The AAD purpose of a money call's sealed requestState (seal.ts). */
const PURPOSE = "request-state";
/** The `inputRequests` key of the confirmation prompt. */
const CONFIRM_INPUT = "confirm";

/** What a sealed requestState binds: the call's identity and place (the row holds the rest). */
interface StateClaims {
  callId: string;
  place: string;
}

const words = (tool: string): ArtefactWords => ({
  by: "input_required",
  rule: "requestState",
  what: "the requestState",
  again: `Call ${tool} again without it to be asked again.`,
});

const stateHash = (requestState: string) => sha256(`request-state:${requestState}`);

function promptResult(ctx: ChannelContext, requestState: string): GuardResult {
  const { call, env } = ctx;
  return {
    ...pendingResult(
      `Confirmation required; nothing has been done yet. The user is asked: ${describeAction(call.summary, env.mode)}`,
      call.summary,
      env.mode,
    ),
    inputRequired: {
      key: CONFIRM_INPUT,
      elicitation: buildElicitation(call.summary, env.mode),
      requestState,
    },
  };
}

export const inputRequiredChannel: Channel = {
  name: "input_required",
  async ask(ctx): Promise<Asked> {
    const { env } = ctx;
    // The state's life is the time the user has to answer the prompt, as for elicitation
    // (SPACEPAY_CONFIRM_TIMEOUT_MS), not a token's TTL: it is a prompt, not a model-held preview.
    const expiresAt = env.clock().getTime() + env.policy.confirmTimeoutMs;
    const claims: StateClaims = { callId: ctx.callId, place: placeOf(env.place) };
    const requestState = env.store.claims.seal(PURPOSE, claims, expiresAt);
    await hold(ctx, "input_required", { hash: stateHash(requestState), value: requestState, expiresAt });
    return { approved: false, result: promptResult(ctx, requestState) };
  },
  async answer(ctx): Promise<Asked> {
    const { env, call } = ctx;
    const w = words(call.tool);
    const no = (result: GuardResult): Asked => ({ approved: false, result });
    const limited = guessLimited(ctx, w);
    if (limited) return no(limited);
    const requestState = call.inputRequired?.requestState ?? "";
    const opened = env.store.claims.open<StateClaims>(PURPOSE, requestState, env.clock());
    if (!opened.ok && opened.reason === "expired") {
      return no(
        await ctx.refuse(
          {
            rule: w.rule,
            configured: null,
            message: `Refused: the requestState has expired: the confirmation was not answered in time. Nothing was sent. ${w.again}`,
          },
          w.by,
        ),
      );
    }
    const claims = opened.ok ? opened.claims : null;
    if (!claims || typeof claims.place !== "string" || typeof claims.callId !== "string")
      return no(
        await wrongPresentation(
          ctx,
          w,
          `the requestState was altered or was not issued by this server. ${w.again}`,
        ),
      );
    const elsewhere = placeMismatch(claims.place, env.place);
    if (elsewhere)
      return no(await wrongPresentation(ctx, w, `the requestState is not for this server: ${elsewhere}.`));
    const reply = readAnswer(call.inputRequired?.responses?.[CONFIRM_INPUT]);
    const decision =
      reply.action === "accept" ? (reply.content?.confirm === true ? "approve" : "decline") : reply.action;
    return claim(ctx, stateHash(requestState), decision, w);
  },
  async again(ctx, latest) {
    const requestState = reopen(ctx, latest);
    return requestState === undefined ? null : { approved: false, result: promptResult(ctx, requestState) };
  },
};

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
