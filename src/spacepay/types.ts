// The one internal shape of SpacePay data, whatever variant the API answered with (see "Where the
// sources disagree" in docs/SPACEPAY-API.md), and the client surface the MCP tools are written against.
// Chain ids are always CAIP-2 strings here; token amounts are decimal strings; fiat is integer cents.

import type { WirePaymentStatus, WirePaymentType, WireQuoteStatus, WireWithdrawalStatus } from "./wire.js";

// The same vocabularies as on the wire (read case-insensitively by ./schemas.ts).
export type PaymentStatus = WirePaymentStatus;
export type QuoteStatus = WireQuoteStatus;
export type WithdrawalStatus = WireWithdrawalStatus;
export type PaymentType = WirePaymentType;

/** Unknown fields from the API are kept (lenient parsing), typed as unknown. */
export type Passthrough = { [extra: string]: unknown };

export interface Chain extends Passthrough {
  /** CAIP-2, e.g. "eip155:84532". */
  chainId: string;
  name: string;
  nativeSymbol: string;
  nativeDecimals: number;
  isEnabled: boolean;
  isTestnet: boolean;
}

export interface Token extends Passthrough {
  id: string;
  symbol: string;
  /** Lowercase; "native" tokens may carry 0x000…0 or 0xeee…e (see isNativeContract). */
  contractAddress: string;
  decimals: number;
  chain: Chain;
  type?: string;
  assetType?: string;
  status?: string;
  tokenPriceUsd: number | null;
}

export interface Quote extends Passthrough {
  id: string;
  paymentId: string;
  token: Token;
  /** CAIP-2. */
  chainId: string;
  /** The address the customer pays to for this quote (per-quote in OpenAPI, top-level in older docs). */
  depositAddress: string | null;
  /** Token smallest units, decimal string. */
  expectedAmountAsset: string;
  /** Decimal string (the API sends a number or a string). */
  rateUsdAsset: string;
  amountDueCents: number | null;
  expiresAt: string;
  status: QuoteStatus;
  createdAt: string;
}

/** Both receipt shapes (OpenAPI PaymentReceiptDto and the older doc example) read into one. */
export interface PaymentReceipt extends Passthrough {
  txHash: string | null;
  /** CAIP-2 or null when the receipt does not say. */
  chainId: string | null;
  senderAddress: string | null;
  blockNumber: number | null;
  confirmations: number | null;
  /** Token smallest units, decimal string. */
  settledAmountAsset: string | null;
  /** Dollars as the API sends them, e.g. "100.00". */
  settledAmountUsd: string | null;
  token: Token | null;
  timestamp: string | null;
}

export interface Payment extends Passthrough {
  id: string;
  merchantId: string | null;
  merchantShortName: string | null;
  type: PaymentType;
  amountInCents: number | null;
  amountDueCents: number | null;
  convenienceFeeCents: number | null;
  merchantFeeCents: number | null;
  swapFeeCents: number | null;
  /** Present on secret-key routes only. */
  amountMerchantNetCents: number | null;
  currency: string;
  status: PaymentStatus;
  quotes: Quote[];
  receipt: PaymentReceipt | null;
  orderId: string | null;
  redirectUrl: string | null;
  /** Top-level deposit address when the API sends one (older shape), else null. */
  depositAddress: string | null;
  createdAt: string;
}

export interface CreatedPayment {
  paymentId: string;
  paymentUrl: string;
  /** The payment secret. Never shown to a model, never logged. */
  secret: string;
  payment: Payment;
}

export interface PaymentStatusResult {
  id: string;
  status: PaymentStatus;
}

export interface Pagination {
  total: number;
  limit: number;
  offset: number;
  hasMore: boolean;
  totalPages: number;
  currentPage: number;
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export interface WithdrawalReceipt extends Passthrough {
  txHash: string | null;
  chainId: string | null;
  senderAddress: string | null;
  blockNumber: number | null;
  settledAmountAsset: string | null;
  settledAmountUsd: string | null;
  token: Token | null;
  timestamp: string | null;
}

export interface Withdrawal extends Passthrough {
  id: string;
  merchantId: string | null;
  amountInCents: number;
  /** CAIP-2. */
  chainId: string;
  recipientAddress: string;
  status: WithdrawalStatus;
  currency: string;
  orderId: string | null;
  customMetadata: string | null;
  errorMessage: string | null;
  receipt: WithdrawalReceipt | null;
  createdAt: string;
  updatedAt: string | null;
}

export interface WithdrawalConfig {
  backendWallet: string;
  supported: Token[];
  limits: { minAmountInCents: number; maxAmountInCents: number };
}

export interface WalletBalance {
  chainId: string;
  token: Token;
  amountRaw: string | null;
  amountFormatted: string | null;
}

// ---- Requests (the client's inputs; it converts them to the wire shapes of ./wire.ts) ----

export interface CreatePaymentInput {
  type?: PaymentType;
  /** Cents; required for payments, ignored for deposits. */
  amountInCents?: number;
  currency?: "USD";
  orderId: string;
  customerRefId?: string;
  redirectUrl?: string;
  /** An object (serialised by the client) or an already serialised JSON string. */
  customMetadata?: string | Record<string, unknown>;
}

export interface ListPaymentsQuery {
  type?: PaymentType;
  status?: PaymentStatus;
  search?: string;
  sortBy?: "createdAt" | "amountInCents";
  sortOrder?: "ASC" | "DESC";
  limit?: number;
  offset?: number;
}

export interface CreateQuoteInput {
  /** Any chain reference: CAIP-2, numeric id, or a known name; sent as CAIP-2. */
  chainId?: string | number;
  contractAddress?: string;
  /** Cents, deposits only. */
  forceDepositAmount?: number;
}

export interface RefreshStatusInput {
  transactionHash?: string;
  chainId?: string | number;
  tokenContractAddress?: string;
}

export interface CreateWithdrawalInput {
  amountInCents: number;
  chainId: string | number;
  recipientAddress: string;
  orderId?: string;
  customMetadata?: string | Record<string, unknown>;
  currency?: "USD";
}

export interface ListWithdrawalsQuery {
  status?: WithdrawalStatus;
  limit?: number;
  offset?: number;
}

export interface ListTokensQuery {
  chainId?: string | number;
  symbol?: string;
  contractAddress?: string;
  assetType?: string;
  tokenType?: string;
  limit?: number;
  offset?: number;
}

export interface RequestOptions {
  /** Cancels the HTTP request (and any retry wait) when aborted. */
  signal?: AbortSignal;
  /** For creates: used as the Idempotency-Key; the client makes one when absent. */
  idempotencyKey?: string;
}

/** What the response said about itself, beside its body. */
export interface ResponseMeta {
  status: number;
  requestId: string | null;
  /** The Idempotency-Key sent, for creates. */
  idempotencyKey: string | null;
  /** True when the API said it replayed an earlier result for this key (Idempotent-Replayed header). */
  replayed: boolean;
  /** How many attempts the call took (1 = no retry). */
  attempts: number;
}

export interface ApiResult<T> {
  data: T;
  meta: ResponseMeta;
}

/** Called once per HTTP attempt, for debug logging (never carries credentials). */
export interface RequestLogEvent {
  method: string;
  path: string;
  status: number | null;
  durationMs: number;
  attempt: number;
  requestId: string | null;
  error?: string;
}

/** Every SpacePay route, one method each. */
export interface SpacePayApi {
  createPayment(input: CreatePaymentInput, opts?: RequestOptions): Promise<ApiResult<CreatedPayment>>;
  listPayments(query?: ListPaymentsQuery, opts?: RequestOptions): Promise<ApiResult<Page<Payment>>>;
  getPayment(paymentId: string, opts?: RequestOptions): Promise<ApiResult<Payment>>;

  getPaymentBySecret(paymentId: string, secret: string, opts?: RequestOptions): Promise<ApiResult<Payment>>;
  getPaymentStatus(
    paymentId: string,
    secret: string,
    opts?: RequestOptions,
  ): Promise<ApiResult<PaymentStatusResult>>;
  listQuotes(paymentId: string, secret: string, opts?: RequestOptions): Promise<ApiResult<Quote[]>>;
  createQuote(
    paymentId: string,
    secret: string,
    input?: CreateQuoteInput,
    opts?: RequestOptions,
  ): Promise<ApiResult<Quote>>;
  refreshStatus(
    paymentId: string,
    secret: string,
    input?: RefreshStatusInput,
    opts?: RequestOptions,
  ): Promise<ApiResult<PaymentStatusResult>>;

  createWithdrawal(input: CreateWithdrawalInput, opts?: RequestOptions): Promise<ApiResult<Withdrawal>>;
  listWithdrawals(query?: ListWithdrawalsQuery, opts?: RequestOptions): Promise<ApiResult<Page<Withdrawal>>>;
  getWithdrawal(withdrawalId: string, opts?: RequestOptions): Promise<ApiResult<Withdrawal>>;

  getWalletBalances(opts?: RequestOptions): Promise<ApiResult<WalletBalance[]>>;
  /** Bearer route; needs the bearer token and merchant id. */
  getWithdrawalConfig(opts?: RequestOptions): Promise<ApiResult<WithdrawalConfig>>;

  listChains(
    query?: { limit?: number; offset?: number },
    opts?: RequestOptions,
  ): Promise<ApiResult<Page<Chain>>>;
  getChain(chainId: string | number, opts?: RequestOptions): Promise<ApiResult<Chain>>;
  listTokens(query?: ListTokensQuery, opts?: RequestOptions): Promise<ApiResult<Page<Token>>>;
  getToken(tokenId: string, opts?: RequestOptions): Promise<ApiResult<Token>>;
}
