// Confirmation building blocks: the canonical form of a call's arguments (what a token is bound
// to), token minting and hashing, the "which argument changed" diff, and the elicitation prompt.
import { createHash, randomBytes } from "node:crypto";
import type { MoneySummary, Mode } from "../domain.js";
import { formatCents } from "../spacepay/money.js";
import { cleanDeep, cleanText, quoteText, truncate } from "../text.js";

/** The argument that carries a token; never part of what the token is bound to. */
export const TOKEN_ARG = "confirmationToken";

const TOKEN_PREFIX = "cfm_";

function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonicalValue(v)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalValue(v);
    }
    return out;
  }
  return value;
}

/** Arguments with keys sorted at every level, undefined dropped, and the token removed. */
export function canonicalArgs(args: Record<string, unknown>): Record<string, unknown> {
  const { [TOKEN_ARG]: _token, ...rest } = args;
  return canonicalValue(rest) as Record<string, unknown>;
}

/** Stable JSON of the canonical arguments; `idempotencyKey` stays in, so a token binds it too. */
export function canonicalJson(args: Record<string, unknown>): string {
  return JSON.stringify(canonicalArgs(args));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Identifies "the same call": tool plus canonical arguments. */
export function argsFingerprint(tool: string, args: Record<string, unknown>): string {
  return sha256(JSON.stringify([tool, canonicalJson(args)]));
}

/** 192 random bits, URL-safe, recognisable by its prefix. */
export function newConfirmationToken(): string {
  return TOKEN_PREFIX + randomBytes(24).toString("base64url");
}

/** Only this hash is stored, so a copy of the state file cannot be used to confirm anything. */
export function hashToken(token: string): string {
  return sha256(token);
}

/** An approval handle: a token that only the app-only approval tool takes (see hashApprovalHandle). */
export function newApprovalHandle(): string {
  return "apv_" + randomBytes(24).toString("base64url");
}

/**
 * Handles share the token table but not its hashes: one presented as confirmationToken, or a token
 * presented as a handle, is simply not found.
 */
export function hashApprovalHandle(handle: string): string {
  return sha256(`app:${handle}`);
}

export interface ArgChange {
  name: string;
  confirmed: unknown;
  presented: unknown;
}

/** Top-level arguments that differ between the confirmed call and this one (added, removed or changed). */
export function diffArgs(confirmedJson: string, presented: Record<string, unknown>): ArgChange[] {
  const confirmed = JSON.parse(confirmedJson) as Record<string, unknown>;
  const now = canonicalArgs(presented);
  const names = [...new Set([...Object.keys(confirmed), ...Object.keys(now)])].sort();
  return names
    .filter((name) => JSON.stringify(confirmed[name]) !== JSON.stringify(now[name]))
    .map((name) => ({ name, confirmed: confirmed[name], presented: now[name] }));
}

/** `was` names the earlier side: "confirmed" for a token, "first" for an invoice made before. */
export function describeChanges(changes: readonly ArgChange[], was = "confirmed"): string {
  return changes
    .map((c) => `${c.name} (${was} ${showValue(c.confirmed)}, now ${showValue(c.presented)})`)
    .join("; ");
}

function showValue(value: unknown): string {
  if (value === undefined) return "absent";
  return truncate(cleanText(JSON.stringify(value)), 80);
}

/** What the user is asked to approve; also the `summary` of a confirmation_required result. */
export interface ConfirmationSummary extends MoneySummary {
  /** Dollars, e.g. "$12.34"; null for deposits. */
  amount: string | null;
  mode: Mode;
}

/** The summary as a person or the audit trail sees it: every string cleaned of invisible characters. */
export function cleanSummary(summary: MoneySummary): MoneySummary {
  return cleanDeep(summary);
}

export function confirmationSummary(summary: MoneySummary, mode: Mode): ConfirmationSummary {
  return {
    ...cleanSummary(summary),
    amount: summary.amountInCents === null ? null : formatCents(summary.amountInCents),
    mode,
  };
}

/** Longest caller value a prompt shows, in code points (a URL may be 2048 characters). */
const MAX_SHOWN = 300;

const MODE_NOTE: Record<Mode, string> = {
  live: "LIVE: real money.",
  test: "TEST mode: testnet funds, no real money.",
  demo: "DEMO mode: simulated, no real money.",
};

/** One paragraph a person can approve or reject without knowing the tool names. */
export function describeAction(raw: MoneySummary, mode: Mode): string {
  const summary = cleanSummary(raw);
  const amount =
    summary.amountInCents === null ? null : `${formatCents(summary.amountInCents)} ${summary.currency}`;
  // Values from the caller are quoted, so they read as data in the prompt a person approves.
  const order = summary.orderId ? ` for order ${quoteText(summary.orderId, MAX_SHOWN)}` : "";
  const extras = [
    summary.customerRefId ? `Customer reference: ${quoteText(summary.customerRefId, MAX_SHOWN)}.` : "",
    summary.redirectUrl
      ? `After paying, the customer is sent to ${quoteText(summary.redirectUrl, MAX_SHOWN)}.`
      : "",
  ]
    .filter(Boolean)
    .map((s) => ` ${s}`)
    .join("");
  let what: string;
  switch (summary.action) {
    case "create_withdrawal":
      what = `Withdraw ${amount ?? "(no amount)"} to ${summary.recipientAddress ?? "(no recipient)"} on chain ${summary.chainId ?? "(no chain)"}${order}.`;
      break;
    case "create_payment":
      what = `Create a payment request of ${amount ?? "(no amount)"}${order}.`;
      break;
    case "create_deposit":
      what = `Create a deposit request (the customer chooses the amount, ${summary.currency})${order}.`;
      break;
  }
  return `${what}${extras} ${MODE_NOTE[mode]}`;
}

export interface ElicitationRequest {
  message: string;
  requestedSchema: {
    type: "object";
    properties: { confirm: { type: "boolean"; title: string; description: string } };
    required: ["confirm"];
  };
}

/** Form-mode elicitation with one required boolean; deliberately no default, so nothing is pre-approved. */
export function buildElicitation(summary: MoneySummary, mode: Mode): ElicitationRequest {
  return {
    message: `Please confirm: ${describeAction(summary, mode)}`,
    requestedSchema: {
      type: "object",
      properties: {
        confirm: {
          type: "boolean",
          title: "Confirm",
          description:
            "Tick to approve exactly this operation. Leave unticked, decline or cancel to do nothing.",
        },
      },
      required: ["confirm"],
    },
  };
}

/** "payment", "deposit" or "withdrawal": what a money call creates, for the sentences that name it. */
export function describeKind(summary: MoneySummary): string {
  return summary.action === "create_withdrawal"
    ? "withdrawal"
    : summary.action === "create_deposit"
      ? "deposit"
      : "payment";
}
