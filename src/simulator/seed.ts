// Sample payments for demos, benchmarks and tests: both types and every status, spread over the 30 days
// before an anchor time, fully determined by the seed (ids, amounts, addresses, tx hashes, times).
import type { WirePaymentStatus, WirePaymentType } from "../spacepay/wire.js";
import type { Payment, Quote } from "./model.js";
import { assetToCents, centsToAsset } from "./money.js";
import { merchantFeeCents, newPaymentSecret, QUOTE_TTL_MS, rebuildHaystack } from "./payments.js";
import { listTokens } from "./registry.js";
import { createRng } from "./rng.js";
import type { Sim } from "./state.js";

const DAY_MS = 86_400_000;
const STATUSES: WirePaymentStatus[] = [
  "completed",
  "pending",
  "failed",
  "expired",
  "processing",
  "cancelled",
];
/** Weighted mix after the first rows (which cover every type × status). */
const WEIGHTED: WirePaymentStatus[] = [
  ...Array<WirePaymentStatus>(10).fill("completed"),
  ...Array<WirePaymentStatus>(2).fill("pending"),
  ...Array<WirePaymentStatus>(2).fill("failed"),
  ...Array<WirePaymentStatus>(4).fill("expired"),
  "processing",
  "cancelled",
];
const AMOUNTS = [250, 499, 1_000, 1_999, 2_500, 4_999, 10_000, 25_000, 99_900, 250_000, 1_000_000];

/**
 * Builds `count` sample payments ending at `anchorMs` and adds them to the store. `batch` separates
 * successive seedings with the same seed so their ids never collide.
 */
export function seedPayments(
  sim: Sim,
  count: number,
  seed: number,
  batch: number,
  anchorMs: number,
): Payment[] {
  const rng = createRng(seed, `samples:${batch}`);
  const testnet = listTokens().filter((t) => t.dto.chain.isTestnet);
  const recentWindow = Math.max(60_000, Math.min(sim.config.expiryMinutes * 60_000 * 0.8, 30 * 60_000));
  const out: Payment[] = [];
  for (let i = 0; i < count; i++) {
    const cover = i < STATUSES.length * 2;
    const type: WirePaymentType = cover
      ? i % 2 === 0
        ? "payment"
        : "deposit"
      : rng.next() < 0.75
        ? "payment"
        : "deposit";
    const status = cover ? (STATUSES[Math.floor(i / 2)] as WirePaymentStatus) : rng.pick(WEIGHTED);
    // Live statuses must be recent, or lazy expiry would end them at once.
    const live = status === "pending" || status === "processing";
    const createdAt = anchorMs - (live ? rng.int(0, recentWindow) : rng.int(0, 30 * DAY_MS));
    const token = rng.pick(testnet);
    const id = rng.uuid();
    const depositCents = rng.pick(AMOUNTS);
    const fixedCents = type === "payment" ? rng.pick(AMOUNTS) : undefined;
    const quoteCents = fixedCents ?? (status === "pending" ? undefined : depositCents);
    const quoteAt = createdAt + rng.int(1_000, 60_000);
    const quote: Quote = {
      id: rng.uuid(),
      paymentId: id,
      tokenId: token.dto.id,
      chainId: token.dto.chain.chainId,
      expectedAmountAsset:
        quoteCents === undefined ? 0n : centsToAsset(quoteCents, token.rateCents, token.dto.decimals),
      rateCents: token.rateCents,
      amountDueCents: quoteCents ?? null,
      createdAt: quoteAt,
      expiresAt: quoteAt + QUOTE_TTL_MS,
      status: quoteStatusFor(status),
    };
    const p: Payment = {
      id,
      type,
      status,
      amountInCents: fixedCents ?? (status === "completed" ? depositCents : 0),
      amountDueCents: fixedCents ?? (status === "completed" ? depositCents : 0),
      orderId: `order_${rng.hex(10)}`,
      customerRefId: type === "deposit" ? `customer_${rng.int(1, 50)}` : null,
      redirectUrl: rng.next() < 0.5 ? "https://merchant.example.com/checkout/success" : null,
      customMetadata: null,
      secret: newPaymentSecret(),
      depositAddress: { id: rng.uuid(), paymentId: id, address: `0x${rng.hex(40)}`, createdAt },
      quotes: [quote],
      receipt: null,
      fees: null,
      createdAt,
      updatedAt: createdAt,
      expiresAt: createdAt + sim.config.expiryMinutes * 60_000,
      haystack: "",
    };
    if (status === "completed" || status === "failed") {
      const sent = status === "failed" ? quote.expectedAmountAsset / 2n : quote.expectedAmountAsset;
      const paidAt = quoteAt + rng.int(5_000, 5 * 60_000);
      p.receipt = {
        quoteId: quote.id,
        settledAmountAsset: sent,
        settledAmountCents: assetToCents(sent, token.rateCents, token.dto.decimals),
        tx: {
          hash: `0x${rng.hex(64)}`,
          sender: `0x${rng.hex(40)}`,
          blockNumber: rng.int(5_000_000, 9_000_000),
          timestamp: paidAt,
        },
        createdAt: paidAt,
      };
      p.updatedAt = paidAt;
      if (status === "completed")
        p.fees = { convenience: 0, merchant: merchantFeeCents(p.amountInCents), swap: 0 };
    } else if (status !== "pending") {
      p.updatedAt = Math.min(anchorMs, createdAt + rng.int(60_000, sim.config.expiryMinutes * 60_000));
    }
    rebuildHaystack(sim, p);
    out.push(p);
  }
  out.sort((a, b) => a.createdAt - b.createdAt);
  sim.store.addPaymentsSorted(out);
  return out;
}

function quoteStatusFor(status: WirePaymentStatus): Quote["status"] {
  if (status === "completed" || status === "processing") return "used";
  if (status === "failed") return "failed";
  return status === "pending" ? "active" : "expired";
}
