// Turns SpacePay data into what a model reads: compact structured objects and short text lines.
// Strings that come from the API or from users are untrusted data: cleaned by src/text.ts and always
// shown quoted, never as bare text a model could mistake for instructions.
import { formatCents, formatTokenAmount } from "../spacepay/money.js";
import { chainName } from "../spacepay/chains.js";
import { cleanText, quoteText } from "../text.js";
import type {
  Page,
  Payment,
  PaymentReceipt,
  PaymentStatus,
  Quote,
  Withdrawal,
  WithdrawalStatus,
} from "../spacepay/types.js";

const MAX_QUOTED = 200;

/** Untrusted text without escapes or invisible characters (for structured output). */
export const clean = cleanText;

/** Untrusted text as a quoted, cleaned, length-bounded literal (for text output). */
export function quote(value: string | null | undefined): string {
  if (value === null || value === undefined) return "(none)";
  return quoteText(value, MAX_QUOTED);
}

export function cleanOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : clean(value);
}

/** A hash or address from the API: bare when it is one (letters and digits only), else quoted. */
export function hashish(value: string | null | undefined, none = "(none)"): string {
  if (value === null || value === undefined) return none;
  return /^[0-9A-Za-z]{1,130}$/.test(value) ? value : quote(value);
}

export const PAYMENT_STATUS_MEANING: Record<PaymentStatus, string> = {
  pending: "waiting for the customer to pay",
  processing: "funds seen on-chain, waiting for confirmations",
  completed: "paid and settled",
  failed: "payment failed (for example an underpayment)",
  expired: "nothing was paid in time",
  cancelled: "cancelled",
};

export const WITHDRAWAL_STATUS_MEANING: Record<WithdrawalStatus, string> = {
  pending: "queued, not yet sent",
  processing: "sent on-chain, waiting for confirmations",
  completed: "settled on-chain",
  failed: "failed; nothing was sent",
  cancelled: "cancelled",
};

function chainLabel(chainId: string | null | undefined): string {
  if (!chainId) return "unknown chain";
  const name = chainName(chainId);
  return name !== chainId ? `${name} (${chainId})` : chainId;
}

function tokenAmount(
  raw: string | null | undefined,
  decimals: number | undefined,
  symbol: string | undefined,
) {
  if (raw === null || raw === undefined || decimals === undefined) return null;
  try {
    return `${formatTokenAmount(raw, decimals)} ${clean(symbol ?? "")}`.trim();
  } catch {
    return null;
  }
}

function dollars(cents: number | null | undefined): string | null {
  return cents === null || cents === undefined ? null : formatCents(cents);
}

// ---- Quotes ----

export function quoteView(q: Quote) {
  return {
    id: q.id,
    token: clean(q.token.symbol),
    chainId: q.chainId,
    amountDue: tokenAmount(q.expectedAmountAsset, q.token.decimals, q.token.symbol),
    expectedAmountAsset: q.expectedAmountAsset,
    decimals: q.token.decimals,
    amountDueCents: q.amountDueCents,
    depositAddress: cleanOrNull(q.depositAddress),
    contractAddress: clean(q.token.contractAddress),
    expiresAt: q.expiresAt,
    status: q.status,
  };
}
export type QuoteView = ReturnType<typeof quoteView>;

export function quoteLine(q: QuoteView): string {
  const due = q.amountDue ?? `${q.expectedAmountAsset} smallest units`;
  const usd = q.amountDueCents !== null ? ` (${formatCents(q.amountDueCents)})` : "";
  return `${q.token} on ${chainLabel(q.chainId)}: pay ${due}${usd} to ${hashish(q.depositAddress, "(no address)")}, ${q.status}, expires ${q.expiresAt}`;
}

// ---- Receipts ----

export function receiptView(r: PaymentReceipt | null) {
  if (!r) return null;
  return {
    txHash: cleanOrNull(r.txHash),
    chainId: r.chainId,
    settledAmount: tokenAmount(r.settledAmountAsset, r.token?.decimals, r.token?.symbol),
    settledAmountUsd: r.settledAmountUsd,
    senderAddress: cleanOrNull(r.senderAddress),
    timestamp: r.timestamp,
  };
}
export type ReceiptView = NonNullable<ReturnType<typeof receiptView>>;

function receiptLine(r: ReceiptView): string {
  const amount = r.settledAmount ?? (r.settledAmountUsd ? `$${r.settledAmountUsd}` : "amount unknown");
  const usd = r.settledAmount && r.settledAmountUsd ? ` ($${r.settledAmountUsd})` : "";
  return `Receipt: tx ${hashish(r.txHash)} on ${chainLabel(r.chainId)}, settled ${amount}${usd}`;
}

// ---- Payments ----

/** The compact payment every payment tool returns. */
export function paymentView(p: Payment) {
  const depositAddress =
    p.depositAddress ?? p.quotes.find((q) => q.status === "active")?.depositAddress ?? null;
  return {
    id: p.id,
    type: p.type,
    status: p.status,
    statusMeaning: PAYMENT_STATUS_MEANING[p.status] ?? p.status,
    amountInCents: p.amountInCents,
    // Deposits have no fixed amount; the API may still send 0.
    amount: p.type === "deposit" && !p.amountInCents ? null : dollars(p.amountInCents),
    amountDueCents: p.amountDueCents,
    merchantNetCents: p.amountMerchantNetCents,
    currency: p.currency,
    orderId: cleanOrNull(p.orderId),
    createdAt: p.createdAt,
    depositAddress: cleanOrNull(depositAddress),
    quotes: p.quotes.map(quoteView),
    receipt: receiptView(p.receipt),
  };
}
export type PaymentView = ReturnType<typeof paymentView>;

/** One line per payment, for lists. */
export function paymentLine(p: PaymentView): string {
  const amount = p.amount ?? "any amount";
  return `${p.id} · ${p.type} ${amount} · ${p.status} · order ${quote(p.orderId)} · ${p.createdAt}`;
}

/** A payment in full, as a few lines. */
export function paymentText(p: PaymentView, extra: { paymentUrl?: string | null } = {}): string {
  const lines = [
    `${p.type === "deposit" ? "Deposit" : "Payment"} ${p.id}: ${p.status} (${p.statusMeaning})`,
    `Amount: ${p.amount ?? "chosen by the customer (deposit)"}${
      p.amountDueCents !== null && p.amountDueCents !== p.amountInCents
        ? `; due ${formatCents(p.amountDueCents)}`
        : ""
    }${p.merchantNetCents !== null ? `; merchant receives ${formatCents(p.merchantNetCents)}` : ""}`,
    `Order: ${quote(p.orderId)} · created ${p.createdAt}`,
  ];
  if (extra.paymentUrl) lines.push(`Payment link: ${extra.paymentUrl}`);
  if (p.depositAddress && p.quotes.length === 0) lines.push(`Deposit address: ${hashish(p.depositAddress)}`);
  for (const q of p.quotes) lines.push(`Quote: ${quoteLine(q)}`);
  if (p.receipt) lines.push(receiptLine(p.receipt));
  return lines.join("\n");
}

// ---- Withdrawals ----

export function withdrawalView(w: Withdrawal) {
  return {
    id: w.id,
    status: w.status,
    statusMeaning: WITHDRAWAL_STATUS_MEANING[w.status] ?? w.status,
    amountInCents: w.amountInCents,
    amount: formatCents(w.amountInCents),
    chainId: w.chainId,
    recipientAddress: clean(w.recipientAddress),
    orderId: cleanOrNull(w.orderId),
    errorMessage: cleanOrNull(w.errorMessage),
    createdAt: w.createdAt,
    receipt: w.receipt
      ? {
          txHash: cleanOrNull(w.receipt.txHash),
          chainId: w.receipt.chainId ?? w.chainId,
          settledAmount: tokenAmount(
            w.receipt.settledAmountAsset,
            w.receipt.token?.decimals,
            w.receipt.token?.symbol,
          ),
          settledAmountUsd: w.receipt.settledAmountUsd,
          senderAddress: cleanOrNull(w.receipt.senderAddress),
          timestamp: w.receipt.timestamp,
        }
      : null,
  };
}
export type WithdrawalView = ReturnType<typeof withdrawalView>;

export function withdrawalLine(w: WithdrawalView): string {
  return `${w.id} · ${w.amount} to ${hashish(w.recipientAddress)} on ${chainLabel(w.chainId)} · ${w.status} · ${w.createdAt}`;
}

export function withdrawalText(w: WithdrawalView): string {
  const lines = [
    `Withdrawal ${w.id}: ${w.status} (${w.statusMeaning})`,
    `Amount: ${w.amount} to ${hashish(w.recipientAddress)} on ${chainLabel(w.chainId)}`,
    `Order: ${quote(w.orderId)} · created ${w.createdAt}`,
  ];
  if (w.errorMessage) lines.push(`Error from SpacePay: ${quote(w.errorMessage)}`);
  if (w.receipt) lines.push(receiptLine(w.receipt));
  return lines.join("\n");
}

// ---- Pages ----

export function pageView<T>(page: Page<T>) {
  const { total, limit, offset, hasMore } = page.pagination;
  return { total, limit, offset, hasMore, nextOffset: hasMore ? offset + page.data.length : null };
}

/** "1–20 of 84; next offset 20" */
export function pageFooter(p: ReturnType<typeof pageView>, count: number): string {
  if (count === 0) return `No results (offset ${p.offset}, ${p.total} in total).`;
  const range = `${p.offset + 1}–${p.offset + count} of ${p.total}`;
  return p.nextOffset !== null ? `${range}; next offset ${p.nextOffset}` : `${range}; last page`;
}

/** A page as a list tool answers it: each item's view, the page, and the text (a line each, then the footer). */
export function pageOf<T, V>(data: Page<T>, view: (item: T) => V, line: (v: V) => string) {
  const items = data.data.map(view);
  const page = pageView(data);
  return { items, page, text: [...items.map(line), pageFooter(page, items.length)].join("\n") };
}

export { chainLabel, dollars };
