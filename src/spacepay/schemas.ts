// Lenient zod schemas that read every documented variant of a SpacePay response (OpenAPI shapes and
// the older doc examples; see "Where the sources disagree" in docs/SPACEPAY-API.md) into one internal
// shape per entity, whose type is inferred from the schema (bottom of this file; ./types.ts re-exports
// them). Unknown fields are kept; missing nullable fields become null.
import { z } from "zod";
import { chainName, knownChain, tryCaip2 } from "./chains.js";
import { toDecimalString } from "./money.js";
import { PAYMENT_STATUSES, PAYMENT_TYPES, QUOTE_STATUSES, WITHDRAWAL_STATUSES } from "./wire.js";
import type { WirePage as Page, WirePagination as Pagination } from "./wire.js";

// ---- building blocks ----

/** Unknown fields from the API are kept (lenient parsing), typed as unknown. */
export type Passthrough = { [extra: string]: unknown };

/** Says in the type what the loose schemas do at run time: a shape keeps the fields it did not name. */
const keep = <T extends object>(value: T): T & Passthrough => value as T & Passthrough;

// A default, not a transform: every answer has a dozen such fields, and a transform is a pipe per field.
const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().default(null);

/** A number, or a numeric string (some gateways stringify numbers). */
const num = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?[0-9]+(\.[0-9]+)?$/, "expected a number")
    .transform(Number),
]);
const optNum = nullable(num);
const optStr = nullable(z.string());

/** An integer amount in a token's smallest unit, as a decimal string. */
const rawAmount = z.union([
  z
    .string()
    .trim()
    .regex(/^-?[0-9]+$/, "expected an integer amount string"),
  z
    .number()
    .int()
    .transform((n) => toDecimalString(n)),
]);
/** A decimal value (rate, dollars) as a string without float artefacts. */
const decimal = z.union([z.string().trim(), z.number().transform((n) => toDecimalString(n))]);

/** Chain id as a number (doc examples) or CAIP-2 (OpenAPI); always CAIP-2 out. */
const chainRef = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const id = tryCaip2(v);
  if (id === null) {
    ctx.addIssue({ code: "custom", message: "expected a chain id (number or CAIP-2 string)" });
    return z.NEVER;
  }
  return id;
});

const lowerEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(values));

const paymentStatus = lowerEnum(PAYMENT_STATUSES);
const quoteStatus = lowerEnum(QUOTE_STATUSES);
const withdrawalStatus = lowerEnum(WITHDRAWAL_STATUSES);
const paymentType = lowerEnum(PAYMENT_TYPES);

/** A deposit address as DepositAddressDto (`.address`) or a bare string; null when absent. */
const depositAddress = z
  .union([z.string(), z.looseObject({ address: z.string() })])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === "string" ? v : v.address));

// ---- registry ----

export const ChainSchema = z
  .looseObject({
    chainId: chainRef,
    name: z.string().optional(),
    nativeSymbol: z.string().optional(),
    nativeDecimals: num.optional(),
    isEnabled: z.boolean().optional(),
    isTestnet: z.boolean().optional(),
  })
  .transform((c) => {
    const known = knownChain(c.chainId);
    return keep({
      ...c,
      chainId: c.chainId,
      name: c.name ?? chainName(c.chainId),
      nativeSymbol: c.nativeSymbol ?? known?.nativeSymbol ?? "",
      nativeDecimals: c.nativeDecimals ?? known?.nativeDecimals ?? 18,
      isEnabled: c.isEnabled ?? true,
      isTestnet: c.isTestnet ?? known?.isTestnet ?? false,
    });
  });

/** A chain the response did not describe, built from the chain id (marked `inferred: true`). */
export function inferChain(caip2: string): Chain {
  const known = knownChain(caip2);
  return {
    chainId: caip2,
    name: chainName(caip2),
    nativeSymbol: known?.nativeSymbol ?? "",
    nativeDecimals: known?.nativeDecimals ?? 18,
    isEnabled: true,
    isTestnet: known?.isTestnet ?? false,
    inferred: true,
  };
}

/** A token whose `chain` may be missing (the list-payments doc example omits it). */
const TokenPartSchema = z.looseObject({
  id: z.string(),
  symbol: z.string(),
  contractAddress: z.string().transform((s) => s.trim().toLowerCase()),
  decimals: num,
  chain: ChainSchema.optional(),
  chainId: chainRef.optional(),
  type: z.string().optional(),
  assetType: z.string().optional(),
  status: z.string().optional(),
  tokenPriceUsd: optNum,
});
type TokenPart = z.output<typeof TokenPartSchema>;

function finishToken(t: TokenPart, fallbackChainId: string | null) {
  const { chainId, chain, ...rest } = t;
  const id = chain?.chainId ?? chainId ?? fallbackChainId;
  if (!chain && !id) return null;
  return keep({ ...rest, chain: chain ?? inferChain(id!) });
}

export const TokenSchema = TokenPartSchema.transform((t, ctx) => {
  const token = finishToken(t, null);
  if (!token) {
    ctx.addIssue({ code: "custom", message: "token has neither chain nor chainId", path: ["chain"] });
    return z.NEVER;
  }
  return token;
});

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
    const chainId = q.chainId ?? q.token.chain?.chainId ?? q.token.chainId ?? null;
    const token = finishToken(q.token, chainId);
    if (!chainId || !token) {
      ctx.addIssue({ code: "custom", message: "quote has no chainId", path: ["chainId"] });
      return z.NEVER;
    }
    return { ...q, chainId, token, paymentId: q.paymentId ?? null };
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

// ---- pages ----

const PaginationSchema = z.looseObject({
  total: num.optional(),
  limit: num.optional(),
  offset: num.optional(),
  hasMore: z.boolean().optional(),
  totalPages: num.optional(),
  currentPage: num.optional(),
});

/** `{data, pagination}` or a bare array; missing pagination fields are derived from what arrived. */
export function pageSchema<T>(item: z.ZodType<T>): z.ZodType<Page<T>> {
  const page = z.object({ data: z.array(item), pagination: PaginationSchema.optional() });
  return z
    .union([page, z.array(item).transform((data) => ({ data, pagination: undefined }))])
    .transform(({ data, pagination: p }): Page<T> => {
      const limit = p?.limit ?? data.length;
      const offset = p?.offset ?? 0;
      const total = p?.total ?? offset + data.length;
      const pagination: Pagination = {
        total,
        limit,
        offset,
        hasMore: p?.hasMore ?? offset + data.length < total,
        totalPages: p?.totalPages ?? (limit > 0 ? Math.ceil(total / limit) : 1),
        currentPage: p?.currentPage ?? (limit > 0 ? Math.floor(offset / limit) + 1 : 1),
      };
      return { data, pagination };
    });
}

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
    const chainId = b.chainId ?? b.token.chain?.chainId ?? b.token.chainId ?? null;
    const token = finishToken(b.token, chainId);
    if (!chainId || !token) {
      ctx.addIssue({ code: "custom", message: "balance has no chainId", path: ["chainId"] });
      return z.NEVER;
    }
    return { chainId, token, amountRaw: b.amountRaw, amountFormatted: b.amountFormatted };
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

export type Chain = z.output<typeof ChainSchema>;
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
