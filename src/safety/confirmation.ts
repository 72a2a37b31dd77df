// Whether the user confirmed a money call, and how: pickChannel chooses the channel; a call that
// carries an answer has it decided by that channel; an identical repeat while a confirmation is
// pending is handed the same one (by the channel that asked); otherwise the channel asks. The guard
// (guard.ts) decides what happens before and after.
import { pickChannel, type Asked, type Channel, type ChannelContext, type ChannelName } from "./channel.js";
import { TOKEN_ARG } from "./confirm.js";
import { appChannel } from "./channels/app.js";
import { elicitationChannel } from "./channels/elicitation.js";
import { inputRequiredChannel } from "./channels/input-required.js";
import { passkeyChannel } from "./channels/passkey.js";
import { tokenChannel } from "./channels/token.js";

/** Every channel by name: pickChannel's answers, and the channel that asked a stored confirmation. */
const CHANNELS: Readonly<Record<ChannelName, Channel>> = {
  elicitation: elicitationChannel,
  input_required: inputRequiredChannel,
  token: tokenChannel,
  app: appChannel,
  passkey: passkeyChannel,
};

/** Whether the call carries an answer to an earlier confirmation (it is then decided, never asked). */
export function presents(call: ChannelContext["call"]) {
  const token = call.args[TOKEN_ARG];
  return {
    token: typeof token === "string" && token !== "",
    handle: Boolean(call.app?.handle),
    requestState: call.inputRequired?.requestState !== undefined,
  };
}

export async function confirm(ctx: ChannelContext): Promise<Asked> {
  const { call, env } = ctx;
  const byPasskey = env.policy.approval === "passkey" && call.summary.action === "create_withdrawal";
  const picked = pickChannel(
    env.policy.confirm,
    {
      canElicit: Boolean(call.elicit),
      inputRequired: Boolean(call.inputRequired),
      rendersApps: Boolean(call.app),
    },
    presents(call),
    byPasskey,
  );
  if ("refuse" in picked) {
    const refusal = byPasskey
      ? { rule: "SPACEPAY_APPROVAL", configured: "passkey", message: picked.refuse }
      : { rule: "SPACEPAY_CONFIRM", configured: env.policy.confirm, message: picked.refuse };
    return { approved: false, result: await ctx.refuse(refusal, null) };
  }
  if (picked.use === "off") return { approved: true, by: "off" };
  const channel = CHANNELS[picked.use];
  if (picked.answer) return channel.answer(ctx);
  // Never handed another channel's confirmation: only the page approves what a passkey must approve.
  if (picked.use === "passkey") return channel.ask(ctx);
  const latest = await env.store.confirmations.latest(ctx.callId);
  const asker = latest && CHANNELS[latest.channel as ChannelName];
  return (asker && latest && (await asker.again(ctx, latest))) ?? channel.ask(ctx);
}
