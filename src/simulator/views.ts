// Internal records → OpenAPI wire shapes (MerchantPaymentDto, PaymentDto, PaymentQuoteDto, WithdrawalDto, …).
import type {
  WireDepositAddress,
  WireMerchantPayment,
  WirePage,
  WirePayment,
  WirePaymentReceipt,
  WireQuote,
  WireToken,
  WireWithdrawal,
  WireWithdrawalReceipt,
} from "../spacepay/wire.js";
import { iso } from "./clock.js";
import type { Payment, Quote, Withdrawal } from "./model.js";
import { centsToDollars } from "../spacepay/money.js";
import { merchantFeeCents } from "./payments.js";
import { tokenById } from "./registry.js";
import type { Sim } from "./state.js";

const RATE_DIVISOR = 100;

function token(id: string): WireToken {
  const t = tokenById(id);
  if (!t) throw new Error(`token ${id} missing from the registry`);
  return t.dto;
}

function depositAddressDto(p: Payment): WireDepositAddress {
  const a = p.depositAddress;
  return { id: a.id, paymentId: a.paymentId, type: "EVM", address: a.address, createdAt: iso(a.createdAt) };
}

export function quoteDto(p: Payment, q: Quote, now: number): WireQuote {
  return {
    id: q.id,
    paymentId: q.paymentId,
    token: token(q.tokenId),
    chainId: q.chainId,
    depositAddress: depositAddressDto(p),
    expectedAmountAsset: q.expectedAmountAsset.toString(),
    rateUsdAsset: Number(q.rateCents) / RATE_DIVISOR,
    amountDueCents: q.amountDueCents,
    expiresAt: iso(q.expiresAt),
    status: q.status === "active" && now >= q.expiresAt ? "expired" : q.status,
    createdAt: iso(q.createdAt),
  };
}

function receiptDto(p: Payment, now: number): WirePaymentReceipt | null {
  const r = p.receipt;
  if (!r) return null;
  const quote = p.quotes.find((q) => q.id === r.quoteId) as Quote;
  const settledToken = token(quote.tokenId);
  return {
    paymentId: p.id,
    selectedQuote: quoteDto(p, quote, now),
    settledToken,
    settledChain: settledToken.chain,
    settledAmountAsset: r.settledAmountAsset.toString(),
    settledAmountUsd: centsToDollars(r.settledAmountCents),
    txHash: r.tx.hash,
    txBlockNumber: r.tx.blockNumber,
    txTimestamp: iso(r.tx.timestamp),
    txSenderAddress: r.tx.sender,
    txGasUsed: settledToken.assetType === "native" ? 21_000 : 65_000,
    txTotalCost: "21000000000000",
    txTotalCostUsdFractions: 63_000,
    txIsSponsored: false,
    processedBy: "webhook",
    txRiskScore: 95,
    txRiskSeverity: "NO_RISK",
    txRiskProvider: "simulator",
    createdAt: iso(r.createdAt),
  };
}

/** PaymentDto, as the payment-secret routes return it. */
export function paymentDto(sim: Sim, p: Payment): WirePayment {
  const now = sim.now();
  return {
    id: p.id,
    merchantId: sim.config.merchantId,
    merchantShortName: sim.config.merchantShortName,
    merchantLogoUrl: null,
    type: p.type,
    amountInCents: p.amountInCents,
    amountDueCents: p.amountDueCents,
    convenienceFeeCents: p.fees?.convenience ?? null,
    merchantFeeCents: p.fees?.merchant ?? null,
    swapFeeCents: p.fees?.swap ?? null,
    currency: "USD",
    status: p.status,
    quotes: p.quotes.map((q) => quoteDto(p, q, now)),
    receipt: receiptDto(p, now),
    orderId: p.orderId,
    redirectUrl: p.redirectUrl,
    createdAt: iso(p.createdAt),
  };
}

/** MerchantPaymentDto, as the secret-key routes return it (adds the merchant's net amount). */
export function merchantPaymentDto(sim: Sim, p: Payment): WireMerchantPayment {
  const fees = p.fees ?? { merchant: merchantFeeCents(p.amountInCents), swap: 0 };
  return { ...paymentDto(sim, p), amountMerchantNetCents: p.amountInCents - fees.merchant - fees.swap };
}

export function withdrawalDto(sim: Sim, w: Withdrawal): WireWithdrawal {
  let receipt: WireWithdrawalReceipt | null = null;
  if (w.receipt) {
    const t = token(w.receipt.tokenId);
    receipt = {
      withdrawalId: w.id,
      settledToken: t,
      settledChain: t.chain,
      settledAmountAsset: w.receipt.settledAmountAsset.toString(),
      settledAmountUsd: centsToDollars(w.amountInCents),
      txHash: w.receipt.tx.hash,
      txBlockNumber: w.receipt.tx.blockNumber,
      txTimestamp: iso(w.receipt.tx.timestamp),
      txSenderAddress: w.receipt.tx.sender,
      txGasUsed: 65_000,
      txTotalCost: "65000000000000",
      txTotalCostUsdFractions: 195_000,
      txIsSponsored: true,
      processedBy: "webhook",
      createdAt: iso(w.receipt.createdAt),
    };
  }
  return {
    id: w.id,
    merchantId: sim.config.merchantId,
    amountInCents: w.amountInCents,
    chainId: w.chainId,
    recipientAddress: w.recipientAddress,
    status: w.status,
    currency: "USD",
    orderId: w.orderId,
    customMetadata: w.customMetadata,
    errorMessage: w.errorMessage,
    receipt,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}

/** `{data, pagination}` with the full PaginationMetaDto; `total` counts every match, not just this page. */
export function page<T>(data: T[], total: number, limit: number, offset: number): WirePage<T> {
  return {
    data,
    pagination: {
      total,
      limit,
      offset,
      hasMore: offset + data.length < total,
      totalPages: Math.ceil(total / limit),
      currentPage: Math.floor(offset / limit) + 1,
    },
  };
}
