// get_wallet_balances: the payout wallet's on-chain balance of the default withdrawal token per chain.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { chainLabel, clean } from "../render.js";
import { formatTokenAmount } from "../../spacepay/money.js";
import { modeOut, READ_ONLY } from "./common.js";

export const getWalletBalances = defineTool({
  name: "get_wallet_balances",
  title: "Get wallet balances",
  description: "Show the merchant payout wallet's on-chain balance per chain (the default withdrawal token).",
  inputSchema: {},
  outputSchema: {
    mode: modeOut,
    balances: z.array(
      z.object({
        chainId: z.string(),
        token: z.string(),
        amount: z.string().nullable().describe("Exact token amount; null if SpacePay could not read it"),
        amountRaw: z.string().nullable(),
      }),
    ),
  },
  annotations: READ_ONLY,
  async handler(_args, ctx) {
    const res = await ctx.api.getWalletBalances({ signal: ctx.signal });
    const balances = res.data.map((b) => ({
      chainId: b.chainId,
      token: clean(b.token.symbol),
      amount: b.amountRaw !== null ? formatTokenAmount(b.amountRaw, b.token.decimals) : null,
      amountRaw: b.amountRaw,
    }));
    const lines = balances.map(
      (b) =>
        `${chainLabel(b.chainId)}: ${b.amount !== null ? `${b.amount} ${b.token}` : `${b.token} balance unavailable`}`,
    );
    return {
      structured: { mode: ctx.info.mode, balances },
      text: lines.length ? lines.join("\n") : "No payout wallet balances reported.",
    };
  },
});
