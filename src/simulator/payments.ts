// Payment behaviour: creation, quotes priced with exact BigInt arithmetic, and the simulated customer
// payment that drives pending → processing → completed/failed.
import { randomBytes } from "node:crypto";
import type { WirePaymentType } from "../spacepay/wire.js";
import { ApiError, invalid } from "./errors.js";
import type { DepositAddress, Payment, Quote, Tx } from "./model.js";
import { assetToCents, centsToAsset } from "./money.js";
import {
  chainById,
  DEFAULT_CHAIN_ID,
  defaultTokenOn,
  tokenById,
  tokenOn,
  type TokenEntry,
} from "./registry.js";
import type { Sim } from "./state.js";

export const QUOTE_TTL_MS = 10 * 60_000;
/** What a deposit customer sends when nothing fixes the amount. */
const DEFAULT_DEPOSIT_CENTS = 2_500;

export interface NewPayment {
  type: WirePaymentType;
  amount?: number;
  orderId: string;
  customerRefId?: string;
  redirectUrl?: string;
  customMetadata?: string;
}

export interface QuoteRequest {
  chainId?: string;
  contractAddress?: string;
  tokenId?: string;
  forceDepositAmount?: number;
}

export type PayOutcome = "exact" | "under" | "over";

export interface PayOptions extends QuoteRequest {
  /** `exact` and `over` complete a payment, `under` fails it (deposits complete on any amount). */
  outcome?: PayOutcome;
  /** Amount sent in the token's smallest units; overrides `outcome`'s amount. */
  amountAsset?: string | bigint;
  txHash?: string;
  sender?: string;
}

export function newPaymentSecret(): string {
  return `ps_${randomBytes(24).toString("hex")}`;
}

export function merchantFeeCents(amountInCents: number): number {
  return Math.round(amountInCents / 100);
}

export function createPayment(sim: Sim, input: NewPayment): Payment {
  const now = sim.now();
  const id = sim.ids.uuid();
  const isDeposit = input.type === "deposit";
  const amount = isDeposit ? 0 : (input.amount ?? 0);
  const depositAddress = depositAddressFor(sim, id, isDeposit ? input.customerRefId : undefined, now);
  const p: Payment = {
    id,
    type: input.type,
    status: "pending",
    amountInCents: amount,
    amountDueCents: amount,
    orderId: input.orderId,
    customerRefId: input.customerRefId ?? null,
    redirectUrl: input.redirectUrl ?? null,
    customMetadata: input.customMetadata ?? null,
    secret: newPaymentSecret(),
    depositAddress,
    quotes: [],
    receipt: null,
    fees: null,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + sim.config.expiryMinutes * 60_000,
    haystack: "",
  };
  // A fixed-amount payment starts with the default quote, as the docs' create response shows.
  if (!isDeposit) p.quotes.push(priceQuote(sim, p, defaultToken(), undefined, now));
  rebuildHaystack(sim, p);
  sim.store.addPayment(p);
  sim.onEvent("payment.created", p);
  return p;
}

function depositAddressFor(
  sim: Sim,
  paymentId: string,
  customerRefId: string | undefined,
  now: number,
): DepositAddress {
  if (customerRefId !== undefined) {
    const existing = sim.store.customerWallets.get(customerRefId);
    if (existing) return existing;
    const wallet = { id: sim.ids.uuid(), paymentId: null, address: `0x${sim.ids.hex(40)}`, createdAt: now };
    sim.store.customerWallets.set(customerRefId, wallet);
    return wallet;
  }
  return { id: sim.ids.uuid(), paymentId, address: `0x${sim.ids.hex(40)}`, createdAt: now };
}

function defaultToken(): TokenEntry {
  return defaultTokenOn(DEFAULT_CHAIN_ID) as TokenEntry;
}

/** Resolves the token a quote request names; an empty request means USDC on Base Sepolia. */
export function resolveToken(req: QuoteRequest): TokenEntry {
  if (req.tokenId !== undefined) {
    const t = tokenById(req.tokenId);
    if (!t) throw invalid("token_not_supported", `Unknown token ${req.tokenId}`, "tokenId");
    return t;
  }
  const chainId = req.chainId;
  if (chainId !== undefined && !chainById(chainId)) {
    throw invalid("chain_not_supported", `Unknown or unsupported chain ${req.chainId}`, "chainId");
  }
  if (req.contractAddress !== undefined) {
    const t = tokenOn(chainId ?? DEFAULT_CHAIN_ID, req.contractAddress);
    if (!t) {
      throw invalid(
        "token_not_supported",
        `No supported token ${req.contractAddress} on ${chainId ?? DEFAULT_CHAIN_ID}`,
        "contractAddress",
      );
    }
    return t;
  }
  return chainId === undefined ? defaultToken() : (defaultTokenOn(chainId) as TokenEntry);
}

function priceQuote(
  sim: Sim,
  p: Payment,
  token: TokenEntry,
  forceCents: number | undefined,
  now: number,
): Quote {
  const cents = p.type === "deposit" ? forceCents : p.amountInCents;
  return {
    id: sim.ids.uuid(),
    paymentId: p.id,
    tokenId: token.dto.id,
    chainId: token.dto.chain.chainId,
    expectedAmountAsset: cents === undefined ? 0n : centsToAsset(cents, token.rateCents, token.dto.decimals),
    rateCents: token.rateCents,
    amountDueCents: cents ?? null,
    createdAt: now,
    expiresAt: now + QUOTE_TTL_MS,
    status: "active",
  };
}

export function isQuoteActive(q: Quote, now: number): boolean {
  return q.status === "active" && now < q.expiresAt;
}

/** Creates a quote, replacing an active one for the same token ("create or update"). */
export function createQuote(sim: Sim, p: Payment, req: QuoteRequest): Quote {
  if (p.status !== "pending") {
    throw invalid("payment_not_pending", `Payment is ${p.status}, cannot create or update a quote`);
  }
  if (req.forceDepositAmount !== undefined && p.type !== "deposit") {
    throw invalid(
      "force_deposit_amount_not_allowed",
      "forceDepositAmount is only allowed for deposit payments",
      "forceDepositAmount",
    );
  }
  const token = resolveToken(req);
  const now = sim.now();
  for (const q of p.quotes) if (q.tokenId === token.dto.id && q.status === "active") q.status = "expired";
  const quote = priceQuote(sim, p, token, req.forceDepositAmount, now);
  p.quotes.push(quote);
  p.updatedAt = now;
  sim.store.quoteCount++;
  return quote;
}

/** Simulates the customer's transfer; resolves once the payment reached `processing` (or its final status). */
export function pay(sim: Sim, p: Payment, opts: PayOptions = {}): { settled: Promise<void> } {
  sim.sweepExpired();
  if (p.status !== "pending") {
    throw new ApiError(
      409,
      "invalid_request_error",
      "payment_not_pending",
      `Payment is ${p.status}, not pending`,
    );
  }
  const now = sim.now();
  const named =
    opts.tokenId !== undefined || opts.chainId !== undefined || opts.contractAddress !== undefined;
  let quote: Quote | undefined;
  if (named) {
    const token = resolveToken(opts);
    quote = latest(p.quotes, (q) => q.tokenId === token.dto.id && isQuoteActive(q, now));
    quote ??= createQuote(sim, p, opts);
  } else {
    quote = latest(p.quotes, (q) => isQuoteActive(q, now)) ?? createQuote(sim, p, {});
  }
  const token = tokenById(quote.tokenId) as TokenEntry;
  const base =
    quote.expectedAmountAsset > 0n
      ? quote.expectedAmountAsset
      : centsToAsset(DEFAULT_DEPOSIT_CENTS, token.rateCents, token.dto.decimals);
  const outcome = opts.outcome ?? "exact";
  let sent: bigint;
  if (opts.amountAsset !== undefined) {
    try {
      sent = BigInt(opts.amountAsset);
    } catch {
      throw invalid("parameter_invalid", "amountAsset must be an integer string", "amountAsset");
    }
  } else if (outcome === "under") sent = base / 2n;
  else if (outcome === "over") sent = base + base / 10n + 1n;
  else sent = base;

  const tx: Tx = {
    hash: opts.txHash ?? `0x${sim.ids.hex(64)}`,
    sender: (opts.sender ?? `0x${sim.ids.hex(40)}`).toLowerCase(),
    blockNumber: 10_000_000 + Math.floor((now / 2000) % 1_000_000),
    timestamp: now,
  };
  p.status = "processing";
  p.updatedAt = now;
  sim.store.pending.delete(p);
  for (const q of p.quotes) if (q !== quote && q.status === "active") q.status = "expired";
  sim.onEvent("payment.updated", p);
  const selected = quote;
  const settled = sim.scheduleTransition(p.id, () => settle(sim, p, selected, token, sent, tx));
  return { settled };
}

function settle(sim: Sim, p: Payment, quote: Quote, token: TokenEntry, sent: bigint, tx: Tx): void {
  const now = sim.now();
  const settledCents = assetToCents(sent, token.rateCents, token.dto.decimals);
  const enough = p.type === "deposit" ? sent > 0n : sent >= quote.expectedAmountAsset;
  p.receipt = {
    quoteId: quote.id,
    settledAmountAsset: sent,
    settledAmountCents: settledCents,
    tx,
    createdAt: now,
  };
  if (enough) {
    if (p.type === "deposit") {
      p.amountInCents = Number(settledCents);
      p.amountDueCents = Number(settledCents);
    } else {
      p.amountDueCents = quote.amountDueCents ?? p.amountInCents;
    }
    p.status = "completed";
    quote.status = "used";
    p.fees = { convenience: 0, merchant: merchantFeeCents(p.amountInCents), swap: 0 };
  } else {
    p.status = "failed";
    quote.status = "failed";
  }
  p.updatedAt = now;
  rebuildHaystack(sim, p);
  sim.onEvent("payment.updated", p);
}

function latest(quotes: Quote[], ok: (q: Quote) => boolean): Quote | undefined {
  for (let i = quotes.length - 1; i >= 0; i--) {
    const q = quotes[i] as Quote;
    if (ok(q)) return q;
  }
  return undefined;
}

/** The per-payment fields `search` matches: id, deposit address, receipt tx hash and sender. */
export function rebuildHaystack(sim: Sim, p: Payment): void {
  // The merchant short name is the same on every payment, so the list route tests it once per request.
  const parts = [p.id, p.depositAddress.address];
  if (p.receipt) parts.push(p.receipt.tx.hash, p.receipt.tx.sender);
  p.haystack = parts.join("\n").toLowerCase();
}
