// The token channel: a single-use confirmationToken bound to the exact call, which the model shows
// the user and then presents on the identical repeat. An identical repeat before that gets the same token.
import type { Asked, Channel, ChannelContext } from "../channel.js";
import { claim, hold, reopen, type ArtefactWords } from "../claim.js";
import { TOKEN_ARG, describeAction, hashToken, newConfirmationToken } from "../confirm.js";
import { pendingResult, type GuardResult } from "../results.js";

const words = (tool: string): ArtefactWords => ({
  by: "token",
  rule: TOKEN_ARG,
  what: "confirmationToken",
  again: `Call ${tool} without confirmationToken to get a new one.`,
});

function tokenResult(ctx: ChannelContext, token: string, expiresAt: number, note = ""): GuardResult {
  const { call, env } = ctx;
  const until = new Date(expiresAt).toISOString();
  return pendingResult(
    `${note}Confirmation required; nothing has been done yet. Show the user this summary and ask them to approve it: ` +
      `"${describeAction(call.summary, env.mode)}" ` +
      `Only once the user approves, call ${call.tool} again with exactly the same arguments plus confirmationToken "${token}" ` +
      `(valid until ${until}, single use). If the user does not approve, do not call it again.`,
    call.summary,
    env.mode,
    { confirmationToken: token, expiresAt: until },
  );
}

/** Issues a token for the call; `note` says why a token when another channel was tried first. */
export async function issueToken(ctx: ChannelContext, note = ""): Promise<GuardResult> {
  const token = newConfirmationToken();
  const expiresAt = ctx.env.clock().getTime() + ctx.env.policy.confirmTtlSeconds * 1000;
  await hold(ctx, "token", { hash: hashToken(token), value: token, expiresAt });
  return tokenResult(ctx, token, expiresAt, note);
}

export const tokenChannel: Channel = {
  name: "token",
  ask: async (ctx) => ({ approved: false, result: await issueToken(ctx) }),
  async answer(ctx): Promise<Asked> {
    const token = String(ctx.call.args[TOKEN_ARG]);
    return claim(ctx, hashToken(token), "approve", words(ctx.call.tool));
  },
  async again(ctx, latest) {
    const token = reopen(ctx, latest);
    return token === undefined
      ? null
      : { approved: false, result: tokenResult(ctx, token, latest.expiresAt) };
  },
};
