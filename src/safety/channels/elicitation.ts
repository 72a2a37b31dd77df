// The elicitation channel (a 2025 client that declared it): a form prompt with one confirm box, asked
// within the call, with our own deadline and the call's cancellation. In auto mode a prompt that times
// out or fails falls back to a token. Nothing is stored while it is asked: an identical repeat in this
// process waits for this prompt's outcome (the guard serialises identical calls), one prompt at a time.
import { auditError } from "../audit.js";
import type { Asked, Channel, ChannelContext, ElicitFn } from "../channel.js";
import { buildElicitation } from "../confirm.js";
import { answer, cancelled, notDone } from "../results.js";
import { issueToken } from "./token.js";

async function elicitConfirmation(ctx: ChannelContext, elicit: ElicitFn): Promise<Asked> {
  const { call, env } = ctx;
  const timeoutMs = env.policy.confirmTimeoutMs;
  // Our own deadline as well as the one handed to the client, so a client that never answers
  // cannot hold the call open forever.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  // Cancelling the call also ends the prompt (forwarded by hand: AbortSignal.any needs Node 20.3).
  const onCancel = () => deadline.abort(call.signal.reason);
  call.signal.addEventListener("abort", onCancel, { once: true });
  if (call.signal.aborted) onCancel();
  const signal = deadline.signal;
  let reply: Awaited<ReturnType<ElicitFn>>;
  try {
    reply = await new Promise<Awaited<ReturnType<ElicitFn>>>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      elicit(buildElicitation(call.summary, env.mode), { timeoutMs, signal }).then(resolve, reject);
    });
  } catch (err) {
    if (call.signal.aborted)
      return { approved: false, result: await cancelled(ctx.record.bind(ctx), "elicitation") };
    const reason =
      deadline.signal.aborted && !call.signal.aborted ? "timed out" : `failed (${auditError(err).message})`;
    if (env.policy.confirm === "auto") {
      return {
        approved: false,
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
    return {
      approved: false,
      result: answer("confirmation_failed", `The confirmation prompt ${reason}. Nothing was sent.`, {}, true),
    };
  } finally {
    clearTimeout(timer);
    call.signal.removeEventListener("abort", onCancel);
  }

  if (reply.action === "accept" && reply.content?.confirm === true)
    return { approved: true, by: "elicitation" };
  // Cancel (the prompt dismissed) is not a no: it is reported as what it was.
  const status = reply.action === "cancel" ? "cancelled" : "declined";
  await ctx.record({ event: "outcome", outcome: status, confirmation: "elicitation", idempotencyKey: null });
  const how = reply.action === "accept" ? "did not tick confirm" : status;
  return { approved: false, result: notDone(status, `The user ${how}`, call.summary, env.mode) };
}

export const elicitationChannel: Channel = {
  name: "elicitation",
  ask: (ctx) => elicitConfirmation(ctx, ctx.call.elicit!),
  // A prompt's answer arrives within the call that asked it: there is never one to present.
  answer: (ctx) => elicitConfirmation(ctx, ctx.call.elicit!),
  again: async () => null,
};
