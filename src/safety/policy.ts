// Spending policy for money-moving calls, as pure functions: per-call limits, the recipient
// allow-list and live-withdrawal gating. The rolling daily cap needs the ledger and lives in the guard.
import type { AllowlistEntry, ConfirmMode, MoneySummary, Mode } from "../domain.js";
import { formatCents } from "../spacepay/money.js";
import { isEvmAddress } from "../spacepay/chains.js";

/** What the guard enforces; the lead maps the server config onto it. */
export interface SafetyPolicy {
  confirm: ConfirmMode;
  confirmTimeoutMs: number;
  confirmTtlSeconds: number;
  maxWithdrawalCents: number;
  dailyWithdrawalLimitCents: number;
  maxPaymentCents: number;
  /** null: no allow-list, every recipient allowed (subject to confirmation). */
  withdrawalAllowlist: AllowlistEntry[] | null;
  allowLiveWithdrawals: boolean;
  /** SPACEPAY_APPROVAL: "passkey" makes an enrolled approver's passkey the only approval of a withdrawal. */
  approval?: "host" | "passkey";
  /** Withdrawals above this many cents need two distinct approvers (passkey approval); null: never. */
  secondApproverAboveCents?: number | null;
}

/** Why a call was refused: the rule (a setting name when one applies) and its configured value. */
export interface Refusal {
  rule: string;
  message: string;
  configured: unknown;
}

export const DAY_MS = 24 * 3600 * 1000;

/** EVM addresses are hex (checksummed or not), so case carries no meaning; other chains' addresses may be case-sensitive. */
export function sameAddress(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (isEvmAddress(x) && isEvmAddress(y)) return x.toLowerCase() === y.toLowerCase();
  return x === y;
}

export function isAllowedRecipient(
  allowlist: readonly AllowlistEntry[],
  chainId: string | undefined,
  address: string,
): boolean {
  return allowlist.some(
    (entry) =>
      (entry.chainId === undefined || entry.chainId === chainId) && sameAddress(entry.address, address),
  );
}

function refuse(rule: string, configured: unknown, message: string): Refusal {
  return { rule, configured, message: `Refused by ${rule}: ${message} Nothing was sent.` };
}

/** Checks everything that does not depend on history. Returns the first rule broken, or null. */
export function checkPolicy(summary: MoneySummary, policy: SafetyPolicy, mode: Mode): Refusal | null {
  if (summary.action === "create_withdrawal") return checkWithdrawal(summary, policy, mode);
  if (summary.action === "create_payment" && summary.amountInCents !== null) {
    if (summary.amountInCents > policy.maxPaymentCents) {
      return refuse(
        "SPACEPAY_MAX_PAYMENT_CENTS",
        policy.maxPaymentCents,
        `${formatCents(summary.amountInCents)} is above the largest payment request allowed (SPACEPAY_MAX_PAYMENT_CENTS=${policy.maxPaymentCents}, ${formatCents(policy.maxPaymentCents)}).`,
      );
    }
  }
  return null;
}

function checkWithdrawal(summary: MoneySummary, policy: SafetyPolicy, mode: Mode): Refusal | null {
  if (mode === "live" && !policy.allowLiveWithdrawals) {
    return refuse(
      "SPACEPAY_ALLOW_LIVE_WITHDRAWALS",
      policy.allowLiveWithdrawals,
      "withdrawals with a live key are disabled (SPACEPAY_ALLOW_LIVE_WITHDRAWALS=false).",
    );
  }
  // Startup config already rejects this combination; checked again so the guard never sends an
  // unconfirmed withdrawal to an arbitrary address whatever it is handed.
  if (policy.confirm === "off" && policy.withdrawalAllowlist === null) {
    return refuse(
      "SPACEPAY_CONFIRM",
      policy.confirm,
      "withdrawals without confirmation (SPACEPAY_CONFIRM=off) need SPACEPAY_WITHDRAWAL_ALLOWLIST.",
    );
  }
  const amount = summary.amountInCents;
  if (amount === null || !Number.isSafeInteger(amount) || amount <= 0) {
    return refuse("amountInCents", amount, "a withdrawal needs a positive whole number of cents.");
  }
  if (amount > policy.maxWithdrawalCents) {
    return refuse(
      "SPACEPAY_MAX_WITHDRAWAL_CENTS",
      policy.maxWithdrawalCents,
      `${formatCents(amount)} is above the largest single withdrawal allowed (SPACEPAY_MAX_WITHDRAWAL_CENTS=${policy.maxWithdrawalCents}, ${formatCents(policy.maxWithdrawalCents)}).`,
    );
  }
  if (amount > policy.dailyWithdrawalLimitCents) {
    return dailyLimitRefusal(amount, 0, policy.dailyWithdrawalLimitCents);
  }
  if (policy.withdrawalAllowlist !== null) {
    const recipient = summary.recipientAddress ?? "";
    if (!isAllowedRecipient(policy.withdrawalAllowlist, summary.chainId, recipient)) {
      return refuse(
        "SPACEPAY_WITHDRAWAL_ALLOWLIST",
        policy.withdrawalAllowlist.map(formatAllowlistEntry),
        `recipient ${recipient || "(none)"} on ${summary.chainId ?? "(no chain)"} is not on the withdrawal allow-list (SPACEPAY_WITHDRAWAL_ALLOWLIST=${policy.withdrawalAllowlist.map(formatAllowlistEntry).join(",")}).`,
      );
    }
  }
  return null;
}

export function formatAllowlistEntry(entry: AllowlistEntry): string {
  return entry.chainId ? `${entry.chainId}:${entry.address}` : entry.address;
}

/** The rolling cap: `usedCents` already counted in the last 24 hours, `amountCents` about to be added. */
export function checkDailyLimit(amountCents: number, usedCents: number, capCents: number): Refusal | null {
  return usedCents + amountCents > capCents ? dailyLimitRefusal(amountCents, usedCents, capCents) : null;
}

function dailyLimitRefusal(amountCents: number, usedCents: number, capCents: number): Refusal {
  const left = Math.max(0, capCents - usedCents);
  return refuse(
    "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS",
    capCents,
    `${formatCents(amountCents)} would exceed the rolling 24-hour withdrawal limit (SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS=${capCents}, ${formatCents(capCents)}); ${formatCents(usedCents)} already withdrawn or in flight, ${formatCents(left)} left.`,
  );
}
