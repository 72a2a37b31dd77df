// The one internal shape of SpacePay data, whatever variant the API answered with (see "Where the
// sources disagree" in docs/SPACEPAY-API.md), and the client surface the MCP tools are written against.
// Chain ids are always CAIP-2 strings here; token amounts are decimal strings; fiat is integer cents.

import type {
  WirePage,
  WirePagination,
  WirePaymentStatus,
  WirePaymentType,
  WireQuoteStatus,
  WireWithdrawalStatus,
} from "./wire.js";
import type {
  Chain,
  CreatedPayment,
  Payment,
  PaymentStatusResult,
  Quote,
  Token,
  WalletBalance,
  Withdrawal,
  WithdrawalConfig,
} from "./schemas.js";

// The same vocabularies as on the wire (read case-insensitively by ./schemas.ts).
export type PaymentStatus = WirePaymentStatus;
export type QuoteStatus = WireQuoteStatus;
export type WithdrawalStatus = WireWithdrawalStatus;
export type PaymentType = WirePaymentType;

// Each entity is defined once, by the schema that reads it (./schemas.ts); pages always arrive
// complete (the schema derives missing pagination fields), so they are the wire's own shape.
export type * from "./schemas.js";
export type Pagination = WirePagination;
export type Page<T> = WirePage<T>;

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
  /**
   * The same client (same connections), whose attempts are also reported to `report`: how one MCP
   * request hears of the API calls it causes. Optional: a stand-in client reports nothing.
   */
  forCaller?(report: (e: RequestLogEvent) => void): SpacePayApi;
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
