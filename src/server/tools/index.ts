// The registry: every tool the server can offer, in the order tools/list shows them.
import type { AnyTool } from "../tool.js";
import { createPayment } from "./create-payment.js";
import { createDeposit } from "./create-deposit.js";
import { getPayment } from "./get-payment.js";
import { listPayments } from "./list-payments.js";
import { createQuote } from "./create-quote.js";
import { refreshStatus } from "./refresh-status.js";
import { waitForPayment } from "./wait-for-payment.js";
import { createWithdrawal } from "./create-withdrawal.js";
import { getWithdrawal } from "./get-withdrawal.js";
import { listWithdrawals } from "./list-withdrawals.js";
import { getWithdrawalConfig } from "./get-withdrawal-config.js";
import { getWalletBalances } from "./get-wallet-balances.js";
import { listSupportedTokens } from "./list-supported-tokens.js";

export const TOOLS: readonly AnyTool[] = [
  createPayment,
  createDeposit,
  getPayment,
  listPayments,
  createQuote,
  refreshStatus,
  waitForPayment,
  createWithdrawal,
  getWithdrawal,
  listWithdrawals,
  getWithdrawalConfig,
  getWalletBalances,
  listSupportedTokens,
];

export const TOOL_NAMES: readonly string[] = TOOLS.map((t) => t.name);
