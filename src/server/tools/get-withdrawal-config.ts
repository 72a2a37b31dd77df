// get_withdrawal_config: which tokens can be withdrawn, the amount limits and the backend wallet.
// Uses the dashboard bearer token and merchant id; without them the client's error names the variables.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { chainLabel } from "../render.js";
import { formatCents } from "../../spacepay/money.js";
import { modeOut, READ_ONLY } from "./common.js";
import { tokenOut, tokenView } from "./list-supported-tokens.js";

export const getWithdrawalConfig = defineTool({
  name: "get_withdrawal_config",
  title: "Get withdrawal config",
  description:
    "Tokens and chains withdrawals support, amount limits, backend wallet. Needs SPACEPAY_BEARER_TOKEN and SPACEPAY_MERCHANT_ID.",
  inputSchema: {},
  outputSchema: {
    mode: modeOut,
    backendWallet: z.string(),
    minAmountInCents: z.number(),
    maxAmountInCents: z.number(),
    supported: z.array(tokenOut),
  },
  annotations: READ_ONLY,
  async handler(_args, ctx) {
    const res = await ctx.api.getWithdrawalConfig({ signal: ctx.signal });
    const { backendWallet, limits } = res.data;
    const supported = res.data.supported.map(tokenView);
    return {
      structured: {
        mode: ctx.info.mode,
        backendWallet,
        minAmountInCents: limits.minAmountInCents,
        maxAmountInCents: limits.maxAmountInCents,
        supported,
      },
      text: [
        `Withdrawals: ${formatCents(limits.minAmountInCents)} to ${formatCents(limits.maxAmountInCents)} each; backend wallet ${backendWallet}.`,
        ...supported.map((t) => `${t.symbol} on ${chainLabel(t.chainId)} (${t.contractAddress})`),
      ].join("\n"),
    };
  },
});
