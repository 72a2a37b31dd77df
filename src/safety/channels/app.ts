// The approval-card channel (MCP Apps, SPACEPAY_CONFIRM=auto, a host that renders the card and cannot
// elicit): a handle bound to the exact call goes to the card only (the result's _meta); the person's
// Approve or Decline comes back through the decide_approval tool. An identical repeat shows the same card.
import type { Asked, Channel, ChannelContext } from "../channel.js";
import { claim, hold, reopen, type ArtefactWords } from "../claim.js";
import { describeAction, hashApprovalHandle, newApprovalHandle } from "../confirm.js";
import { pendingResult, type GuardResult } from "../results.js";

const words = (tool: string): ArtefactWords => ({
  by: "app",
  rule: "approval",
  what: "this approval",
  again: `Call ${tool} again to be shown a new card.`,
});

function cardResult(ctx: ChannelContext, handle: string, expiresAt: number): GuardResult {
  const { call, env } = ctx;
  const until = new Date(expiresAt).toISOString();
  return {
    ...pendingResult(
      `Nothing has been done yet: the user is shown an approval card for this, with Approve and Decline: ` +
        `"${describeAction(call.summary, env.mode)}" ` +
        `The card sends it only if the user approves (until ${until}), and shows the outcome. ` +
        `Do not call ${call.tool} again for it; there is no token to pass.`,
      call.summary,
      env.mode,
      { expiresAt: until },
    ),
    approval: { handle, expiresAt: until },
  };
}

export const appChannel: Channel = {
  name: "app",
  async ask(ctx): Promise<Asked> {
    const handle = newApprovalHandle();
    const expiresAt = ctx.env.clock().getTime() + ctx.env.policy.confirmTtlSeconds * 1000;
    await hold(ctx, "app", { hash: hashApprovalHandle(handle), value: handle, expiresAt });
    return { approved: false, result: cardResult(ctx, handle, expiresAt) };
  },
  async answer(ctx): Promise<Asked> {
    const { handle = "", decision } = ctx.call.app ?? {};
    return claim(
      ctx,
      hashApprovalHandle(handle),
      decision === "approve" ? "approve" : "decline",
      words(ctx.call.tool),
    );
  },
  async again(ctx, latest) {
    const handle = reopen(ctx, latest);
    return handle === undefined
      ? null
      : { approved: false, result: cardResult(ctx, handle, latest.expiresAt) };
  },
};
