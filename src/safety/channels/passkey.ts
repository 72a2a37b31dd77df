// The passkey channel (SPACEPAY_APPROVAL=passkey, withdrawals only): the call opens a pending approval
// bound to its identity (tool, canonical arguments, caller, place) and its idempotency key, and answers
// with the approval page's link. Only enrolled approvers' passkeys on that page approve it (src/approvals);
// nothing the client, the host or the model presents does. The approval row is this channel's record:
// an identical repeat finds it by the call's identity and learns what the page decided, so no
// confirmation token or state passes through the client at all.
//
// How the link reaches a person: a 2025 client with URL-mode elicitation is asked to open it and the
// call waits (within SPACEPAY_CONFIRM_TIMEOUT_MS) for the page; a 2026-07-28 client with URL mode gets
// an input_required URL request and its retry reads the page's outcome; any other client gets the link
// in the result, for the agent to pass on and repeat the call.
import type { PendingApproval } from "../approvals.js";
import type { Asked, Channel, ChannelContext } from "../channel.js";
import { describeAction, describeKind, sha256 } from "../confirm.js";
import { answer, notDone, type GuardResult } from "../results.js";

/** The `inputRequests` key of the approval page's URL request (2026-07-28). */
const APPROVE_INPUT = "approve";

function approvalRequired(ctx: ChannelContext, approval: PendingApproval, url: string): GuardResult {
  const { call, env } = ctx;
  const until = new Date(approval.expiresAt).toISOString();
  const more = approval.needed - approval.approvedBy.length;
  const soFar = approval.approvedBy.length
    ? ` Approved so far by ${approval.approvedBy.join(", ")}; ${more} more approver${more === 1 ? "" : "s"} needed.`
    : approval.needed > 1
      ? ` ${approval.needed} different approvers must approve.`
      : "";
  const message =
    `Nothing has been done yet: a person must open ${url} and approve this ${describeKind(call.summary)} with their passkey ` +
    `(until ${until}): "${describeAction(call.summary, env.mode)}".${soFar} ` +
    `Give the person the link; after they approve, repeat this identical call to complete it. ` +
    `An agent cannot approve it, and no token or answer of yours will.`;
  return answer("approval_required", message, {
    approvalUrl: url,
    approvalsNeeded: approval.needed,
    approvedBy: approval.approvedBy,
    expiresAt: until,
  });
}

/** What the approval's state means for this call now; null while it is still waiting for people. */
async function outcome(ctx: ChannelContext, approval: PendingApproval): Promise<Asked | null> {
  const { env, call } = ctx;
  const now = env.clock();
  switch (approval.state) {
    case "declined":
      return {
        approved: false,
        result: notDone(
          "declined",
          "An approver declined it on the approval page, and that is final",
          call.summary,
          env.mode,
        ),
      };
    case "approved":
    case "claimed":
    case "done": {
      if (approval.state === "approved" && approval.expiresAt <= now.getTime()) return null;
      ctx.approvers = approval.approvedBy;
      // The first call to claim it settles it once sent; a concurrent identical call goes on to the
      // guard's one-movement record (calls), which answers it with that same withdrawal.
      if (approval.state === "approved" && (await env.store.approvals.claim(approval.id, now))) {
        ctx.afterSend = (sent) =>
          env.store.approvals.settle(approval.id, sent ? "done" : "approved", env.clock());
      }
      return { approved: true, by: "passkey", key: approval.idempotencyKey };
    }
    case "pending":
      return null;
  }
}

/** Shows the link the way this client can, waiting for the page where the client lets the call wait. */
async function deliver(ctx: ChannelContext, approval: PendingApproval): Promise<Asked> {
  const { env, call } = ctx;
  const desk = env.passkey!;
  const url = await desk.pageUrl(approval.id);
  const pending = approvalRequired(ctx, approval, url);
  const prompt = `Approve with your passkey: ${describeAction(call.summary, env.mode)}`;
  if (call.elicitUrl) {
    const deadline = Math.min(env.clock().getTime() + env.policy.confirmTimeoutMs, approval.expiresAt);
    const opened = await call
      .elicitUrl(
        { message: prompt, url, elicitationId: approval.id },
        { timeoutMs: env.policy.confirmTimeoutMs, signal: call.signal },
      )
      .catch(() => ({ action: "cancel" as const }));
    // Declining to open the page is not declining the withdrawal: the link stays in the answer.
    if (opened.action === "accept") {
      let seen: PendingApproval | undefined = approval;
      while (seen?.state === "pending" && !call.signal.aborted && env.clock().getTime() < deadline) {
        await desk.decided(approval.id, call.signal, deadline - env.clock().getTime());
        seen = await env.store.approvals.get(approval.id);
      }
      const decided = seen && (await outcome(ctx, seen));
      if (decided) return decided;
      if (seen) return { approved: false, result: approvalRequired(ctx, seen, url) };
    }
    return { approved: false, result: pending };
  }
  if (call.inputRequired?.url)
    return {
      approved: false,
      result: { ...pending, inputRequired: { key: APPROVE_INPUT, url: { message: prompt, url } } },
    };
  return { approved: false, result: pending };
}

async function decide(ctx: ChannelContext): Promise<Asked> {
  const { env, call } = ctx;
  const { approvals } = env.store;
  if (!env.passkey || (await approvals.enrolledCount()) === 0) {
    return {
      approved: false,
      result: await ctx.refuse(
        {
          rule: "SPACEPAY_APPROVAL",
          configured: "passkey",
          message:
            "Refused: withdrawals here need an approver's passkey, and no approver is enrolled yet. An operator enrolls one with `spacepay-mcp approvers add NAME`. Nothing was sent.",
        },
        null,
      ),
    };
  }
  const key = await ctx.chooseKey();
  const now = env.clock();
  const second = env.policy.secondApproverAboveCents;
  const approval = await approvals.open({
    identity: ctx.callId,
    tool: call.tool,
    caller: call.caller ?? null,
    mode: env.mode,
    idempotencyKey: key,
    summary: call.summary,
    needed: second != null && (call.summary.amountInCents ?? 0) > second ? 2 : 1,
    now,
    ttlMs: env.policy.confirmTtlSeconds * 1000,
  });
  // Audit lines name the approval by a hash of its id, like a token's.
  ctx.tokenId = sha256(`approval:${approval.id}`).slice(0, 12);
  // The page audits its own decisions (a Decline as declined); the call audits what it does with them.
  const known = await outcome(ctx, approval);
  if (known) return known;
  // Made by this call just now: asked, once (an identical repeat finds the same one).
  if (approval.createdAt === now.getTime())
    await ctx.record({
      event: "outcome",
      outcome: "confirmation_required",
      confirmation: "passkey",
      idempotencyKey: key,
    });
  return deliver(ctx, approval);
}

export const passkeyChannel: Channel = {
  name: "passkey",
  ask: decide,
  // pickChannel never hands it an answer: nothing a client presents approves; the page decides.
  answer: decide,
  // It holds no confirmation record: its approval, found by the call's identity, is the record.
  again: async () => null,
};
