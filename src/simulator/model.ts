// The simulator's internal records. Times are epoch milliseconds and token amounts BigInt; views.ts turns
// them into wire shapes.
import type {
  WirePaymentStatus,
  WirePaymentType,
  WireQuoteStatus,
  WireWithdrawalStatus,
} from "../spacepay/wire.js";

export interface DepositAddress {
  id: string;
  /** Null when the address is a customer's reusable deposit wallet (`customerRefId`). */
  paymentId: string | null;
  address: string;
  createdAt: number;
}

export interface Quote {
  id: string;
  paymentId: string;
  tokenId: string;
  chainId: string;
  expectedAmountAsset: bigint;
  rateCents: bigint;
  amountDueCents: number | null;
  createdAt: number;
  expiresAt: number;
  /** Stored status; an `active` quote past `expiresAt` is shown as `expired`. */
  status: WireQuoteStatus;
}

export interface Tx {
  hash: string;
  sender: string;
  blockNumber: number;
  timestamp: number;
}

export interface PaymentReceipt {
  quoteId: string;
  settledAmountAsset: bigint;
  settledAmountCents: bigint;
  tx: Tx;
  createdAt: number;
}

export interface Payment {
  id: string;
  type: WirePaymentType;
  status: WirePaymentStatus;
  amountInCents: number;
  amountDueCents: number;
  orderId: string | null;
  customerRefId: string | null;
  redirectUrl: string | null;
  customMetadata: string | null;
  secret: string;
  depositAddress: DepositAddress;
  quotes: Quote[];
  receipt: PaymentReceipt | null;
  /** Set when the payment settles (completed). */
  fees: { convenience: number; merchant: number; swap: number } | null;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** Lowercased fields the list `search` matches, joined; rebuilt whenever one of them changes. */
  haystack: string;
}

export interface WithdrawalReceipt {
  tokenId: string;
  settledAmountAsset: bigint;
  tx: Tx;
  createdAt: number;
}

export interface Withdrawal {
  id: string;
  amountInCents: number;
  chainId: string;
  recipientAddress: string;
  status: WireWithdrawalStatus;
  orderId: string | null;
  customMetadata: string | null;
  errorMessage: string | null;
  receipt: WithdrawalReceipt | null;
  createdAt: number;
  updatedAt: number;
}
