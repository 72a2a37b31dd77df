// list_supported_tokens: which tokens on which chains customers can pay with.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { chainLabel, clean } from "../render.js";
import { isNativeContract } from "../../spacepay/chains.js";
import type { Token } from "../../spacepay/types.js";
import { chainArg, modeOut, READ_ONLY } from "./common.js";
import { caip2Arg } from "./create-quote.js";

const MAX_PAGES = 10;

export const tokenOut = z.object({
  symbol: z.string(),
  chainId: z.string(),
  contractAddress: z.string(),
  decimals: z.number(),
  native: z.boolean(),
});

export function tokenView(t: Token): z.infer<typeof tokenOut> {
  return {
    symbol: clean(t.symbol),
    chainId: t.chain.chainId,
    contractAddress: t.contractAddress,
    decimals: t.decimals,
    native: isNativeContract(t.contractAddress) || t.assetType === "native",
  };
}

export const listSupportedTokens = defineTool({
  name: "list_supported_tokens",
  title: "List supported tokens",
  description: "List the tokens and chains SpacePay accepts, optionally for one chain or one symbol.",
  inputSchema: {
    chainId: chainArg.optional(),
    symbol: z.string().min(1).max(20).optional().describe("Token symbol, e.g. USDC"),
  },
  outputSchema: { mode: modeOut, tokens: z.array(tokenOut) },
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const chainId = args.chainId !== undefined ? caip2Arg("chainId", args.chainId) : undefined;
    const tokens: Token[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await ctx.api.listTokens(
        { chainId, symbol: args.symbol, limit: 100, offset: page * 100 },
        { signal: ctx.signal },
      );
      tokens.push(...res.data.data);
      if (!res.data.pagination.hasMore) break;
    }
    const views = tokens.filter((t) => (t.status ?? "active") === "active").map(tokenView);
    const lines = views.map(
      (t) =>
        `${t.symbol} on ${chainLabel(t.chainId)}: ${t.native ? "native" : t.contractAddress}, ${t.decimals} decimals`,
    );
    return {
      structured: { mode: ctx.info.mode, tokens: views },
      text: lines.length ? lines.join("\n") : "No supported tokens match.",
    };
  },
});
