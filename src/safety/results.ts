// Every answer a guarded call gives that is not the tool's own, built here: the typed status (from
// which the output schema's enum and its description derive), a short `message` saying what to do
// next (for models that read only structured output), and the text.
import type { Mode, MoneySummary } from "../domain.js";
import type { AuditEntry, ConfirmedBy } from "./audit.js";
import { confirmationSummary, describeKind } from "./confirm.js";
import type { ElicitationRequest } from "./confirm.js";
import type { Refusal } from "./policy.js";

/**
 * Each status a money call can answer, with what it tells the model (the output schema's description,
 * where statuses that mean the same are listed together: it is on every money tool, every turn).
 */
const NOTHING_SENT = "nothing sent; message says why";
const NOT_YET = "not run yet; do what message says";
export const STATUSES = {
  done: "it ran; an identical repeat replays it (replayed: true)",
  confirmation_required: NOT_YET,
  approval_required: NOT_YET,
  in_progress: "being sent; repeat later for its result",
  declined: NOTHING_SENT,
  cancelled: NOTHING_SENT,
  refused: NOTHING_SENT,
  confirmation_failed: NOTHING_SENT,
  failed: "not completed; if mayHaveGoneThrough, repeat the identical call to resume it",
} as const;

export type GuardStatus = keyof typeof STATUSES;
export const STATUS_NAMES = Object.keys(STATUSES) as [GuardStatus, ...GuardStatus[]];

/** The embedded prompt and sealed state of an `input_required` answer (2026-07-28). */
export interface InputRequiredAsk {
  /** Keyed as in the result's `inputRequests`; the retry's `inputResponses` answer under the same key. */
  key: string;
  elicitation: ElicitationRequest;
  requestState: string;
}

/** A page the person opens (URL mode): its outcome is read from the state store on the retry, not the client. */
export interface InputRequiredPage {
  key: string;
  url: { message: string; url: string };
}

/** What a call's answer looks like when it ends before (or instead of) the API call, or replays one. */
export interface GuardResult {
  structured: { status: GuardStatus; message: string } & Record<string, unknown>;
  text: string;
  isError?: boolean;
  /** Set when the answer is `input_required` (the client asks the user, then retries). */
  inputRequired?: InputRequiredAsk | InputRequiredPage;
  /** An approval the client's MCP App card asks the user for: for the result's _meta, never the model. */
  approval?: { handle: string; expiresAt: string };
}

/** A result whose text is its message. */
export function answer(
  status: GuardStatus,
  message: string,
  extra: Record<string, unknown> = {},
  isError = false,
): GuardResult {
  return { structured: { status, message, ...extra }, text: message, ...(isError ? { isError } : {}) };
}

export function refusalResult(refusal: Refusal, extra: Record<string, unknown> = {}): GuardResult {
  return answer(
    "refused",
    refusal.message,
    { rule: refusal.rule, configured: refusal.configured ?? null, ...extra },
    true,
  );
}

/** The user said no (declined), or dismissed the prompt (cancelled): nothing was done. */
export function notDone(
  status: "declined" | "cancelled",
  who: string,
  summary: MoneySummary,
  mode: Mode,
): GuardResult {
  return answer(
    status,
    `${who}. Nothing was done: no ${describeKind(summary)} was created. Do not repeat the call unless the user asks again.`,
    { summary: confirmationSummary(summary, mode) },
  );
}

export function cancelledResult(): GuardResult {
  return answer("cancelled", "The call was cancelled. Nothing was done.");
}

/** A pending confirmation handed to the model: `message` says what to do, `extra` carries the rest. */
export function pendingResult(
  message: string,
  summary: MoneySummary,
  mode: Mode,
  extra: Record<string, unknown> = {},
): GuardResult {
  return answer("confirmation_required", message, { ...extra, summary: confirmationSummary(summary, mode) });
}

/** The sentence every done result ends with: what a repeat does, and how to do it again on purpose. */
export function doneMessage(summary: MoneySummary, replayed: boolean): string {
  const kind = describeKind(summary);
  return (
    (replayed
      ? `This ${kind} was already created by an identical call; nothing was sent again. `
      : `The ${kind} was created. `) +
    `Repeating this identical call returns this result and sends nothing; for another ${kind}, use a new orderId or idempotencyKey.`
  );
}

/** The caller cancelled before anything was sent: recorded, and said so. */
export async function cancelled(
  record: (entry: Omit<AuditEntry, "time" | "tool" | "args">) => Promise<void>,
  by: ConfirmedBy,
): Promise<GuardResult> {
  await record({ event: "outcome", outcome: "cancelled", confirmation: by, idempotencyKey: null });
  return cancelledResult();
}
