// A done call's answer, kept sealed with the state key under its identity, and handed back to an
// identical repeat (or a second approver) as what it was, marked replayed: nothing is sent again.
import type { MoneySummary } from "../domain.js";
import type { CallRecord } from "./calls.js";
import type { ConfirmationEnv } from "./channel.js";
import { CALL_RETENTION_MS } from "./calls.js";
import { doneMessage, type GuardResult } from "./results.js";

const purpose = (callId: string) => `call-result:${callId}`;

export function sealResult(env: ConfirmationEnv, callId: string, result: GuardResult): string {
  const { structured, text } = result;
  return env.store.claims.seal(
    purpose(callId),
    { structured, text },
    env.clock().getTime() + CALL_RETENTION_MS,
  );
}

/** The done call's answer, replayed; null when it cannot be opened (then the caller says so instead). */
export function replayResult(
  env: ConfirmationEnv,
  record: CallRecord,
  summary: MoneySummary,
  lead = "",
): GuardResult | null {
  if (record.state !== "done" || !record.result) return null;
  const opened = env.store.claims.open<Pick<GuardResult, "structured" | "text">>(
    purpose(record.callId),
    record.result,
    env.clock(),
  );
  if (!opened.ok) return null;
  const { structured, text } = opened.claims;
  const confirmation = structured.confirmation as Record<string, unknown> | undefined;
  const message = `${lead}${doneMessage(summary, true)}`;
  return {
    structured: {
      ...structured,
      replayed: true,
      ...(confirmation && { confirmation: { ...confirmation, replayed: true } }),
      message,
    },
    text: `${message}\n${text}`,
  };
}

/**
 * Waits while another sender holds the call (polling the shared state), until it is done, its lease
 * lapses, `signal` aborts or `maxMs` passes; returns the record as last seen.
 */
export async function waitForCall(
  env: ConfirmationEnv,
  record: CallRecord,
  signal: AbortSignal,
  maxMs: number,
): Promise<CallRecord | undefined> {
  // Real time bounds the wait, whatever clock the leases are measured with.
  const until = Date.now() + maxMs;
  let seen: CallRecord | undefined = record;
  while (seen?.state === "sending" && seen.leaseUntil > env.clock().getTime() && !signal.aborted) {
    if (Date.now() >= until) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    seen = await env.store.calls.get(record.callId);
  }
  return seen;
}

/** How often a waiting identical call looks at the shared state: cheap, and a person is waiting. */
const POLL_MS = 100;
