// SpacePay wire shapes exactly as the published OpenAPI document describes them (a copy is vendored
// at test/fixtures/spacepay-openapi.json). The simulator emits these; the client sends requests in them and
// reads responses leniently into the normalised shapes of ./types.ts.

// The status and type vocabularies, once: the client's schemas, the tools' filters and the
// simulator all take them from here.
export const PAYMENT_STATUSES = [
  "pending",
  "processing",
  "completed",
  "failed",
  "expired",
  "cancelled",
] as const;
export const QUOTE_STATUSES = ["active", "expired", "used", "failed"] as const;
export const WITHDRAWAL_STATUSES = ["pending", "processing", "completed", "failed", "cancelled"] as const;
export const PAYMENT_TYPES = ["payment", "deposit"] as const;

export type WirePaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type WireQuoteStatus = (typeof QUOTE_STATUSES)[number];
export type WireWithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];
export type WirePaymentType = (typeof PAYMENT_TYPES)[number];

/**
 * The payment statuses that never change again: waiting (wait_for_payment) and watching
 * (subscriptions, the app card) stop there. Decided here, beside the vocabulary, once.
 */
export const FINAL_PAYMENT_STATUSES: readonly WirePaymentStatus[] = [
  "completed",
  "failed",
  "expired",
  "cancelled",
];

export function isFinalPaymentStatus(status: WirePaymentStatus): boolean {
  return FINAL_PAYMENT_STATUSES.includes(status);
}

/** ChainDto */
export interface WireChain {
  chainId: string;
  name: string;
  nativeSymbol: string;
  nativeDecimals: number;
  isEnabled: boolean;
  isTestnet: boolean;
}

/** TokenDto */
export interface WireToken {
  id: string;
  coingeckoApiId: string;
  chain: WireChain;
  symbol: string;
  contractAddress: string;
  decimals: number;
  type: "stablecoin" | "volatile";
  assetType: "native" | "erc20";
  status: "active" | "deprecated" | "blocked";
  tokenPriceUsd: number | null;
}

/** PaginationMetaDto */
export interface WirePagination {
  total: number;
  limit: number;
  offset: number;
  hasMore: boolean;
  totalPages: number;
  currentPage: number;
}

export interface WirePage<T> {
  data: T[];
  pagination: WirePagination;
}

/** DepositAddressDto */
export interface WireDepositAddress {
  id: string;
  paymentId?: string | null;
  type: "EVM";
  address: string;
  createdAt: string;
}

/** PaymentQuoteDto */
export interface WireQuote {
  id: string;
  paymentId: string;
  token: WireToken;
  chainId: string;
  depositAddress: WireDepositAddress;
  expectedAmountAsset: string;
  rateUsdAsset: number;
  amountDueCents: number | null;
  expiresAt: string;
  status: WireQuoteStatus;
  createdAt: string;
}

/** The on-chain transaction's fields both receipts have (PaymentReceiptDto, WithdrawalReceiptDto). */
interface WireReceiptTx {
  txBlockNumber: number | null;
  txTimestamp: string | null;
  txSenderAddress: string | null;
  txGasUsed: number | null;
  txTotalCost: string | null;
  txTotalCostUsdFractions: number | null;
  txIsSponsored: boolean | null;
}

/** PaymentReceiptDto */
export interface WirePaymentReceipt extends WireReceiptTx {
  paymentId: string;
  selectedQuote: WireQuote;
  settledToken: WireToken;
  settledChain: WireChain;
  settledAmountAsset: string;
  settledAmountUsd: string;
  txHash: string | null;
  processedBy: "webhook" | "frontend" | "cron" | "manual" | "shout_webhook" | null;
  txRiskScore: number | null;
  txRiskSeverity: "CRITICAL_RISK" | "HIGH_RISK" | "MEDIUM_RISK" | "LOW_RISK" | "NO_RISK" | null;
  txRiskProvider: string | null;
  createdAt: string;
}

/** PaymentDto (payment-secret routes); MerchantPaymentDto adds amountMerchantNetCents. */
export interface WirePayment {
  id: string;
  merchantId: string;
  merchantShortName: string;
  merchantLogoUrl: string | null;
  type: WirePaymentType;
  amountInCents: number;
  amountDueCents: number;
  convenienceFeeCents: number | null;
  merchantFeeCents: number | null;
  swapFeeCents: number | null;
  currency: "USD";
  status: WirePaymentStatus;
  quotes: WireQuote[];
  receipt: WirePaymentReceipt | null;
  orderId: string | null;
  redirectUrl: string | null;
  createdAt: string;
}

/** MerchantPaymentDto (secret-key routes). */
export interface WireMerchantPayment extends WirePayment {
  amountMerchantNetCents: number;
}

/** CreatePaymentRequestDto */
export interface WireCreatePaymentRequest {
  type?: WirePaymentType;
  amount?: number;
  currency: "USD";
  orderId: string;
  customerRefId?: string;
  redirectUrl?: string;
  /** A JSON string, at most 2048 characters. */
  customMetadata?: string;
}

/** CreatePaymentResponseDto */
export interface WireCreatePaymentResponse {
  paymentUrl: string;
  secret: string;
  paymentId: string;
  payment: WireMerchantPayment;
}

/** PaymentStatusDto */
export interface WirePaymentStatusResult {
  id: string;
  status: WirePaymentStatus;
}

/** CreateQuoteByContractDto */
export interface WireCreateQuoteRequest {
  chainId?: string;
  contractAddress?: string;
  forceDepositAmount?: number;
}

/** RefreshPaymentStatusDto */
export interface WireRefreshStatusRequest {
  transactionHash?: string;
  chainId?: string;
  tokenContractAddress?: string;
}

/** CreateWithdrawalDto */
export interface WireCreateWithdrawalRequest {
  amountInCents: number;
  chainId: string;
  recipientAddress: string;
  orderId?: string;
  customMetadata?: string;
  currency?: "USD";
}

/** WithdrawalReceiptDto */
export interface WireWithdrawalReceipt extends WireReceiptTx {
  withdrawalId: string;
  settledToken: WireToken | null;
  settledChain: WireChain | null;
  settledAmountAsset: string | null;
  settledAmountUsd: string | null;
  txHash?: string | null;
  processedBy: "webhook" | "frontend" | "cron" | "manual" | null;
  createdAt: string;
}

/** WithdrawalDto */
export interface WireWithdrawal {
  id: string;
  merchantId: string;
  amountInCents: number;
  chainId: string;
  recipientAddress: string;
  status: WireWithdrawalStatus;
  currency: "USD";
  orderId: string | null;
  customMetadata: string | null;
  errorMessage: string | null;
  receipt: WireWithdrawalReceipt | null;
  createdAt: string;
  updatedAt: string;
}

/** WithdrawalConfigDto */
export interface WireWithdrawalConfig {
  backendWallet: string;
  supported: WireToken[];
  limits: { minAmountInCents: number; maxAmountInCents: number };
}

/** MerchantWalletOnchainBalancesResponseDto */
export interface WireWalletBalances {
  balances: Array<{
    chainId: string;
    token: WireToken;
    amountRaw: string | null;
    amountFormatted: string | null;
  }>;
}

/** The documented error envelope. */
export interface WireErrorBody {
  error: { type: string; message: string; code: string; param?: string };
}
