// The one place a pending confirmation is handed out (`hold`), handed back (`reopen`) and decided
// (`claim`), whatever the channel. A decision is final: Approve and Decline race for one conditional
// UPDATE, and the loser is told what actually happened. Wrong presentations are rate-limited per
// caller and audited as counts (guesses.ts).
import type { ConfirmedBy } from "./audit.js";
import type { Asked, ChannelContext } from "./channel.js";
import type { ConfirmationRecord } from "./confirmations.js";
import { describeChanges, describeKind, diffArgs } from "./confirm.js";
import { worthAuditing } from "./guesses.js";
import { placeMismatch, placeOf } from "./identity.js";
import { replayResult } from "./replay.js";
import { answer, notDone, refusalResult, type GuardResult } from "./results.js";

/** How a channel names its artefact in the sentences a refusal is made of. */
export interface ArtefactWords {
  by: ConfirmedBy;
  /** The audit rule of a refusal: the argument or thing presented. */
  rule: string;
  /** "confirmationToken", "this approval", … */
  what: string;
  /** How to get a new one, e.g. "Call create_withdrawal without confirmationToken to get a new one." */
  again: string;
}

/**
 * Stores a pending confirmation for this exact call (its identity, arguments, caller, place and the
 * idempotency key the confirmed call will send: bound now, so the key is stored before anything is
 * sent), the artefact sealed so an identical repeat is handed the same one. Audited as asked.
 */
export async function hold(
  ctx: ChannelContext,
  by: ConfirmedBy,
  artefact: { hash: string; value: string | null; expiresAt: number },
): Promise<string> {
  const { env, call } = ctx;
  const key = await ctx.chooseKey();
  await env.store.confirmations.hold({
    hash: artefact.hash,
    callId: ctx.callId,
    channel: by,
    tool: call.tool,
    canonicalArgs: ctx.canonical,
    caller: call.caller ?? null,
    place: placeOf(env.place),
    sealed:
      artefact.value === null
        ? null
        : env.store.claims.seal(
            artefactPurpose(artefact.hash),
            { value: artefact.value },
            artefact.expiresAt,
          ),
    idempotencyKey: key,
    createdAt: env.clock().getTime(),
    expiresAt: artefact.expiresAt,
  });
  ctx.tokenId = artefact.hash.slice(0, 12);
  await ctx.record({
    event: "outcome",
    outcome: "confirmation_required",
    confirmation: by,
    idempotencyKey: key,
  });
  return key;
}

/** The artefact of a still-pending confirmation, for an identical repeat; undefined when there is none to hand back. */
export function reopen(ctx: ChannelContext, record: ConfirmationRecord): string | undefined {
  if (record.state !== "pending" || record.expiresAt <= ctx.env.clock().getTime() || !record.sealed)
    return undefined;
  const opened = ctx.env.store.claims.open<{ value: string }>(
    artefactPurpose(record.hash),
    record.sealed,
    ctx.env.clock(),
  );
  return opened.ok ? opened.claims.value : undefined;
}

const artefactPurpose = (hash: string) => `artefact:${hash}`;

/** Counts a wrong presentation against the caller; audits the first of a window and each doubling. */
export async function wrongPresentation(
  ctx: ChannelContext,
  words: ArtefactWords,
  message: string,
): Promise<GuardResult> {
  const now = ctx.env.clock().getTime();
  const count = ctx.env.guesses.fail(ctx.call.caller ?? "", now);
  const refusal = { rule: words.rule, configured: null, message: `Refused: ${message} Nothing was sent.` };
  if (!worthAuditing(count)) return refusalResult(refusal);
  await ctx.record({
    event: "outcome",
    outcome: "refused",
    rule: words.rule,
    confirmation: words.by,
    idempotencyKey: null,
    failures: count,
  });
  return refusalResult(refusal);
}

/** The caller has guessed too often: refused unread until the window ends. */
export function guessLimited(ctx: ChannelContext, words: ArtefactWords): GuardResult | null {
  const waitMs = ctx.env.guesses.blockedFor(ctx.call.caller ?? "", ctx.env.clock().getTime());
  if (!waitMs) return null;
  void ctx.env.guesses.fail(ctx.call.caller ?? "", ctx.env.clock().getTime());
  return refusalResult({
    rule: words.rule,
    configured: null,
    message: `Refused: too many wrong confirmations from this caller; try again in ${Math.ceil(waitMs / 1000)} s. Nothing was sent.`,
  });
}

/**
 * Decides the confirmation `hash` for this call: approve or decline (a dismissed prompt declines it
 * too, reported as cancelled). Checked first: known, made here, for this tool, caller and arguments.
 * Approve also succeeds on one already approved: the send stage then gives the real outcome (done
 * and replayed, or resumed with its key), never a second movement.
 */
export async function claim(
  ctx: ChannelContext,
  hash: string,
  decision: "approve" | "decline" | "cancel",
  words: ArtefactWords,
): Promise<Asked> {
  const { env, call } = ctx;
  ctx.tokenId = hash.slice(0, 12);
  const fail = async (result: GuardResult): Promise<Asked> => ({ approved: false, result });
  // Approved: the confirmed call goes on with the key bound when the confirmation was asked.
  const granted = (r: ConfirmationRecord): Asked => ({
    approved: true,
    by: words.by,
    key: r.idempotencyKey,
    hash: r.hash,
  });
  const refuse = async (message: string) =>
    fail(
      await ctx.refuse(
        { rule: words.rule, configured: null, message: `Refused: ${message} Nothing was sent.` },
        words.by,
      ),
    );
  const limited = guessLimited(ctx, words);
  if (limited) return fail(limited);

  const record = await env.store.confirmations.get(hash);
  if (!record || record.channel !== words.by)
    return fail(await wrongPresentation(ctx, words, `${words.what} is not recognised. ${words.again}`));
  const elsewhere = placeMismatch(record.place, env.place);
  if (elsewhere)
    return fail(await wrongPresentation(ctx, words, `${words.what} is not for this server: ${elsewhere}.`));
  if (record.tool !== call.tool)
    return fail(
      await wrongPresentation(
        ctx,
        words,
        `${words.what} was issued for ${record.tool}, not ${call.tool}. ${words.again}`,
      ),
    );
  // Checked before deciding, so a wrong presenter cannot use up the confirmation of the one it belongs to.
  if (record.caller !== (call.caller ?? null)) {
    return fail(
      await wrongPresentation(
        ctx,
        words,
        `${words.what} was issued to another caller; a confirmation is valid only for the person who confirmed. ${words.again}`,
      ),
    );
  }
  if (record.canonicalArgs !== ctx.canonical) {
    return refuse(
      `the arguments differ from the ones the user confirmed: ${describeChanges(diffArgs(record.canonicalArgs, call.args))}. ` +
        `Repeat the confirmed call unchanged, or ${words.again.charAt(0).toLowerCase()}${words.again.slice(1)}`,
    );
  }

  const now = env.clock();
  if (await env.store.confirmations.decide(hash, decision === "approve" ? "approved" : "declined", now)) {
    if (decision === "approve") return granted(record);
    const status = decision === "cancel" ? "cancelled" : "declined";
    await ctx.record({ event: "outcome", outcome: status, confirmation: words.by, idempotencyKey: null });
    return fail(notDone(status, `The user ${status}`, call.summary, env.mode));
  }

  const now2 = (await env.store.confirmations.get(hash)) ?? record;
  if (now2.state === "approved") {
    if (decision === "approve") return granted(now2);
    return fail(await tooLate(ctx, words));
  }
  if (now2.state === "declined") {
    return refuse(`${words.what} was already declined, and a decision is final. ${words.again}`);
  }
  if (now2.state === "spent") {
    return refuse(
      `${words.what} has already been used; each confirmation allows one operation. ${words.again}`,
    );
  }
  return refuse(`${words.what} expired (at ${new Date(now2.expiresAt).toISOString()}). ${words.again}`);
}

/** A Decline after an Approve claimed it: refused, saying what really happened; never audited as declined. */
async function tooLate(ctx: ChannelContext, words: ArtefactWords): Promise<GuardResult> {
  const { env, call } = ctx;
  const kind = describeKind(call.summary);
  const sent = await env.store.calls.get(ctx.callId);
  await ctx.record({
    event: "outcome",
    outcome: "refused",
    rule: "decision",
    confirmation: words.by,
    idempotencyKey: null,
  });
  const lead = `Decline refused: already approved: the ${kind} was sent. `;
  const replay = sent && replayResult(env, sent, call.summary, lead);
  if (replay) return replay;
  // Released by a sender whose attempt's outcome is unknown: nothing is in flight, and it may have moved.
  if (sent && sent.state === "sending" && sent.leaseUntil <= env.clock().getTime())
    return answer(
      "in_progress",
      `Decline refused: already approved: the ${kind} may have been sent (its outcome is not known yet). A decision is final. Repeat the identical call to resume it with the same idempotency key; it is never sent twice.`,
    );
  return answer(
    "in_progress",
    `Decline refused: already approved: the ${kind} is being sent. A decision is final. Repeat the identical call later for its result.`,
  );
}
