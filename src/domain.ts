// The shared vocabulary at the bottom of the layers: what both the MCP server (src/server) and the
// money-moving guard (src/safety) speak of, so neither has to import the other's types.

export const MODES = ["test", "live", "demo"] as const;
export type Mode = (typeof MODES)[number];

/** SpacePay's two APIs: live keys (sk_…) work only on the first, test keys (sk_test_…) only on the second. */
export const SPACEPAY_API = {
  live: "https://api.spacepay.solutions",
  testnet: "https://api-testnet.spacepay.solutions",
} as const;

/** How money-moving calls are confirmed: auto picks elicitation when the client supports it, else a token. */
export type ConfirmMode = "auto" | "elicitation" | "token" | "off";

/** One entry of the withdrawal allow-list (SPACEPAY_WITHDRAWAL_ALLOWLIST). */
export interface AllowlistEntry {
  /** CAIP-2 when the entry was chain-qualified; then it matches only that chain, else every chain. */
  chainId?: string;
  /** Lowercase for EVM addresses. */
  address: string;
}

/** Where payment secrets live: in memory by default, SQLite once durable state is configured
 * (opened on first use, so either form may answer asynchronously). */
export interface SecretStore {
  get(paymentId: string): string | undefined | Promise<string | undefined>;
  put(paymentId: string, secret: string): void | Promise<void>;
}

/**
 * What a money call does; the one name for it. A withdrawal gets the rolling cap, the allow-list and a
 * fresh key per confirmation; the others are payment requests.
 */
export type MoneyAction = "create_payment" | "create_deposit" | "create_withdrawal";

/** What a guarded call is about to do, for confirmation prompts, policy checks and the audit log. */
export interface MoneySummary {
  action: MoneyAction;
  /** Cents; null for deposits (the customer chooses the amount). */
  amountInCents: number | null;
  currency: string;
  orderId?: string;
  /** CAIP-2, withdrawals only. */
  chainId?: string;
  recipientAddress?: string;
  /** Payment requests: where the customer lands after paying. */
  redirectUrl?: string;
  /** Deposits: the customer's stable reference. */
  customerRefId?: string;
}

/** Marks a tool whose call goes through the guard, and says what the call would do. */
export interface Guarded<Args> {
  /** What every call of the tool does (the summary of a call carries it too). */
  action: MoneyAction;
  /** Converts the arguments once, before the guard, so the summary, the guard, the handler and the
   * client see the same values; throws ToolInputError for a value it cannot convert. */
  normalize?(args: Args): Args;
  summarize(args: Args): Omit<MoneySummary, "action">;
}

/** What a tool answered: structured content, text for the model, and what the API said. */
export interface ToolResult<S> {
  structured: S;
  text: string;
  /** What the API said about the call, for the audit log (never shown as is). */
  meta?: { ids?: Record<string, string>; requestId?: string | null; replayed?: boolean };
}

/** Who is calling over HTTP with OAuth: the access token's subject, its scopes and its client. */
export interface Principal {
  subject: string;
  scopes: readonly string[];
  clientId?: string;
}
