// Idempotency keys for money-moving calls: derived for payments (the same invoice gets the same
// payment back), random and stored before sending for withdrawals.
import { createHash, randomBytes } from "node:crypto";
import type { MoneySummary } from "../domain.js";

/** A non-reversible tag for the merchant key, so keys differ per merchant without containing the key. */
export function fingerprintMerchantKey(merchantKey: string): string {
  return createHash("sha256").update(`spacepay-mcp/merchant-key/${merchantKey}`).digest("hex").slice(0, 32);
}

export interface PaymentKeyInput {
  merchantKeyFingerprint: string;
  tool: string;
  orderId: string | undefined;
  amountInCents: number | null;
  currency: string;
  type: string;
}

/**
 * sha256 over (merchant, tool, orderId, amount, currency, type). JSON, not a "|"-joined string, so an
 * orderId containing the separator cannot collide with another tuple.
 */
export function derivePaymentKey(input: PaymentKeyInput): string {
  const tuple = [
    input.merchantKeyFingerprint,
    input.tool,
    input.orderId ?? null,
    input.amountInCents,
    input.currency,
    input.type,
  ];
  return "mcp-pay-" + createHash("sha256").update(JSON.stringify(tuple)).digest("base64url");
}

/** The payment type a create call will use, for key derivation. */
export function paymentTypeOf(summary: MoneySummary, args: Record<string, unknown>): string {
  if (summary.action === "create_deposit") return "deposit";
  return typeof args.type === "string" ? args.type : "payment";
}

export function newWithdrawalKey(): string {
  return "mcp-wd-" + randomBytes(18).toString("base64url");
}
