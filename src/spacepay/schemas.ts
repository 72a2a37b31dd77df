// Lenient zod schemas that read every documented variant of a SpacePay response (OpenAPI shapes and
// the older doc examples; see "Where the sources disagree" in docs/SPACEPAY-API.md) into one internal
// shape per entity, whose type is inferred from the schema (bottom of this file; ./types.ts re-exports
// them). Unknown fields are kept; missing nullable fields become null. The pieces they are built from
// (and the registry's chains and tokens) are in ./schema-parts.ts.
import { z } from "zod";
import { tryCaip2 } from "./chains.js";
import {
  ChainSchema,
  chainRef,
  decimal,
  depositAddress,
  finishToken,
  keep,
  nullable,
  num,
  onChain,
  optNum,
  optStr,
  pageSchema,
  paymentStatus,
  paymentType,
  quoteStatus,
  rawAmount,
  TokenPartSchema,
  TokenSchema,
  withdrawalStatus,
} from "./schema-parts.js";

export {
  ChainSchema,
  inferChain,
  pageSchema,
  TokenSchema,
  type Chain,
  type Passthrough,
} from "./schema-parts.js";

// ---- payments ----

/** A quote before its parent payment fills in paymentId and the top-level deposit address. */
const QuotePartSchema = z
  .looseObject({
    id: z.string(),
    paymentId: z.string().optional(),
    token: TokenPartSchema,
    chainId: chainRef.optional(),
    depositAddress,
    expectedAmountAsset: rawAmount,
    rateUsdAsset: decimal,
    amountDueCents: optNum,
    expiresAt: z.string(),
    status: quoteStatus,
    createdAt: z.string(),
  })
  .transform((q, ctx) => {
    const where = onChain(q.chainId, q.token);
    if (!where) {
      ctx.addIssue({ code: "custom", message: "quote has no chainId", path: ["chainId"] });
      return z.NEVER;
    }
    return { ...q, ...where, paymentId: q.paymentId ?? null };
  });
type QuotePart = z.output<typeof QuotePartSchema>;

function finishQuote(q: QuotePart, paymentId: string, fallbackAddress: string | null) {
  return keep({
    ...q,
    paymentId: q.paymentId ?? paymentId,
    depositAddress: q.depositAddress ?? fallbackAddress,
  });
}

/** A quote read on its own (quote routes); paymentId comes from the path when the body lacks it. */
export function quoteSchema(paymentId: string) {
  return QuotePartSchema.transform((q) => finishQuote(q, paymentId, null));
}

const receiptCommon = {
  txHash: optStr,
  txSenderAddress: optStr,
  txBlockNumber: optNum,
  txTimestamp: optStr,
  settledAmountAsset: nullable(rawAmount),
  settledAmountUsd: nullable(decimal),
  settledToken: nullable(TokenPartSchema),
  settledChain: nullable(ChainSchema),
  chainId: nullable(chainRef),
};

/** OpenAPI PaymentReceiptDto and the doc example (transactionHash, blockNumber, confirmations…). */
export const PaymentReceiptSchema = z
  .looseObject({
    ...receiptCommon,
    transactionHash: optStr,
    blockNumber: optNum,
    confirmations: optNum,
    completedAt: optStr,
    selectedQuote: z.unknown().optional(),
  })
  .transform((r) => {
    const quoteChain =
      r.selectedQuote && typeof r.selectedQuote === "object"
        ? tryCaip2((r.selectedQuote as { chainId?: unknown }).chainId)
        : null;
    const chainId = r.settledChain?.chainId ?? r.chainId ?? r.settledToken?.chain?.chainId ?? quoteChain;
    const { transactionHash, txSenderAddress, txBlockNumber, txTimestamp, completedAt, ...rest } = r;
    return keep({
      ...rest,
      txHash: r.txHash ?? transactionHash,
      chainId,
      senderAddress: txSenderAddress,
      blockNumber: txBlockNumber ?? r.blockNumber,
      confirmations: r.confirmations,
      settledAmountAsset: r.settledAmountAsset,
      settledAmountUsd: r.settledAmountUsd,
      token: r.settledToken ? finishToken(r.settledToken, chainId) : null,
      timestamp: txTimestamp ?? completedAt,
    });
  });

export const PaymentSchema = z
  .looseObject({
    id: z.string(),
    merchantId: optStr,
    merchantShortName: optStr,
    type: paymentType.optional(),
    amountInCents: optNum,
    amountDueCents: optNum,
    convenienceFeeCents: optNum,
    merchantFeeCents: optNum,
    swapFeeCents: optNum,
    amountMerchantNetCents: optNum,
    currency: z.string().optional(),
    status: paymentStatus,
    quotes: nullable(z.array(QuotePartSchema)),
    receipt: nullable(PaymentReceiptSchema),
    orderId: optStr,
    redirectUrl: optStr,
    depositAddress,
    createdAt: z.string(),
  })
  .transform((p) =>
    keep({
      ...p,
      type: p.type ?? "payment",
      currency: p.currency ?? "USD",
      // The older shape has one address on the payment; it is every quote's address then.
      quotes: (p.quotes ?? []).map((q) => finishQuote(q, p.id, p.depositAddress)),
    }),
  );

export const CreatedPaymentSchema = z
  .looseObject({
    payment: PaymentSchema,
    paymentUrl: z.string(),
    secret: z.string(),
    paymentId: z.string().optional(),
  })
  .transform((c) => ({
    paymentId: c.paymentId ?? c.payment.id,
    paymentUrl: c.paymentUrl,
    secret: c.secret,
    payment: c.payment,
  }));

export const PaymentStatusSchema = z
  .looseObject({ id: z.string(), status: paymentStatus })
  .transform((s) => ({ id: s.id, status: s.status }));

// ---- withdrawals and wallet ----

export const WithdrawalReceiptSchema = z
  .looseObject({ ...receiptCommon, withdrawalId: optStr })
  .transform((r) => {
    const chainId = r.settledChain?.chainId ?? r.chainId ?? r.settledToken?.chain?.chainId ?? null;
    const { txSenderAddress, txBlockNumber, txTimestamp, ...rest } = r;
    return keep({
      ...rest,
      txHash: r.txHash,
      chainId,
      senderAddress: txSenderAddress,
      blockNumber: txBlockNumber,
      settledAmountAsset: r.settledAmountAsset,
      settledAmountUsd: r.settledAmountUsd,
      token: r.settledToken ? finishToken(r.settledToken, chainId) : null,
      timestamp: txTimestamp,
    });
  });

export const WithdrawalSchema = z
  .looseObject({
    id: z.string(),
    merchantId: optStr,
    amountInCents: num,
    chainId: chainRef,
    recipientAddress: z.string(),
    status: withdrawalStatus,
    currency: z.string().optional(),
    orderId: optStr,
    customMetadata: nullable(z.union([z.string(), z.record(z.string(), z.unknown())])),
    errorMessage: optStr,
    receipt: nullable(WithdrawalReceiptSchema),
    createdAt: z.string(),
    updatedAt: optStr,
  })
  .transform((w) =>
    keep({
      ...w,
      currency: w.currency ?? "USD",
      customMetadata:
        w.customMetadata === null || typeof w.customMetadata === "string"
          ? w.customMetadata
          : JSON.stringify(w.customMetadata),
    }),
  );

export const WithdrawalConfigSchema = z
  .looseObject({
    backendWallet: z.string(),
    supported: nullable(z.array(TokenSchema)),
    limits: z.looseObject({ minAmountInCents: num, maxAmountInCents: num }),
  })
  .transform((c) => ({
    backendWallet: c.backendWallet,
    supported: c.supported ?? [],
    limits: { minAmountInCents: c.limits.minAmountInCents, maxAmountInCents: c.limits.maxAmountInCents },
  }));

const WalletBalanceItemSchema = z
  .looseObject({
    chainId: chainRef.optional(),
    token: TokenPartSchema,
    amountRaw: nullable(rawAmount),
    amountFormatted: nullable(decimal),
  })
  .transform((b, ctx) => {
    const where = onChain(b.chainId, b.token);
    if (!where) {
      ctx.addIssue({ code: "custom", message: "balance has no chainId", path: ["chainId"] });
      return z.NEVER;
    }
    return { ...where, amountRaw: b.amountRaw, amountFormatted: b.amountFormatted };
  });

/** `{balances: [...]}` (OpenAPI) or a bare array. */
export const WalletBalancesSchema = z
  .union([
    z.object({ balances: z.array(WalletBalanceItemSchema) }).transform((r) => r.balances),
    z.array(WalletBalanceItemSchema),
  ])
  .transform((b) => b);

export const PaymentPageSchema = pageSchema(PaymentSchema);
export const WithdrawalPageSchema = pageSchema(WithdrawalSchema);
export const ChainPageSchema = pageSchema(ChainSchema);
export const TokenPageSchema = pageSchema(TokenSchema);

// ---- the internal shapes, inferred from the schemas that produce them ----

export type Token = z.output<typeof TokenSchema>;
export type Quote = ReturnType<typeof finishQuote>;
export type PaymentReceipt = z.output<typeof PaymentReceiptSchema>;
export type Payment = z.output<typeof PaymentSchema>;
export type CreatedPayment = z.output<typeof CreatedPaymentSchema>;
export type PaymentStatusResult = z.output<typeof PaymentStatusSchema>;
export type WithdrawalReceipt = z.output<typeof WithdrawalReceiptSchema>;
export type Withdrawal = z.output<typeof WithdrawalSchema>;
export type WithdrawalConfig = z.output<typeof WithdrawalConfigSchema>;
export type WalletBalance = z.output<typeof WalletBalanceItemSchema>;
