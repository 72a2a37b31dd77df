// In-memory state: payments in a Map plus a createdAt-ordered array (so the default list order needs no
// sort), withdrawals likewise, the pending set that lazy expiry scans, and wallet balances.
import type { DepositAddress, Payment, Withdrawal } from "./model.js";

export class Store {
  readonly payments = new Map<string, Payment>();
  /** Ascending by createdAt, ties in insertion order. */
  paymentOrder: Payment[] = [];
  readonly paymentsBySecret = new Map<string, Payment>();
  /** Payments whose expiry still needs checking. */
  readonly pending = new Set<Payment>();
  /** Earliest `expiresAt` in `pending` (or earlier): requests before it skip the expiry scan. */
  nextExpiry = Infinity;
  readonly withdrawals = new Map<string, Withdrawal>();
  withdrawalOrder: Withdrawal[] = [];
  /** A customer's reusable deposit wallet, by `customerRefId`. */
  readonly customerWallets = new Map<string, DepositAddress>();
  /** Payout-wallet balance of the default withdrawal token, smallest units, per chain. */
  readonly balances = new Map<string, bigint>();
  quoteCount = 0;

  addPayment(p: Payment): void {
    this.payments.set(p.id, p);
    this.paymentsBySecret.set(p.secret, p);
    const last = this.paymentOrder[this.paymentOrder.length - 1];
    if (!last || last.createdAt <= p.createdAt) this.paymentOrder.push(p);
    else this.paymentOrder.splice(upperBound(this.paymentOrder, p.createdAt), 0, p);
    this.quoteCount += p.quotes.length;
    this.trackPending(p);
  }

  trackPending(p: Payment): void {
    if (p.status !== "pending") return;
    this.pending.add(p);
    if (p.expiresAt < this.nextExpiry) this.nextExpiry = p.expiresAt;
  }

  /** Adds many payments sorted by createdAt with one merge instead of one splice each. */
  addPaymentsSorted(batch: Payment[]): void {
    const merged: Payment[] = [];
    let i = 0;
    let j = 0;
    const old = this.paymentOrder;
    while (i < old.length || j < batch.length) {
      const a = old[i];
      const b = batch[j];
      if (b === undefined || (a !== undefined && a.createdAt <= b.createdAt)) {
        merged.push(a as Payment);
        i++;
      } else {
        merged.push(b);
        j++;
      }
    }
    for (const p of batch) {
      this.payments.set(p.id, p);
      this.paymentsBySecret.set(p.secret, p);
      this.quoteCount += p.quotes.length;
      this.trackPending(p);
    }
    this.paymentOrder = merged;
  }

  addWithdrawal(w: Withdrawal): void {
    this.withdrawals.set(w.id, w);
    this.withdrawalOrder.push(w);
  }

  clear(): void {
    this.payments.clear();
    this.paymentOrder = [];
    this.paymentsBySecret.clear();
    this.pending.clear();
    this.nextExpiry = Infinity;
    this.withdrawals.clear();
    this.withdrawalOrder = [];
    this.customerWallets.clear();
    this.balances.clear();
    this.quoteCount = 0;
  }
}

function upperBound(list: Payment[], createdAt: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as Payment).createdAt <= createdAt) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
