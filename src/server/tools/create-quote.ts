// create_quote: price a payment in a chosen token and chain; returns the amount and deposit address.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { quoteLine, quoteView } from "../render.js";
import { toCaip2 } from "../../spacepay/chains.js";
import { ToolInputError } from "../errors.js";
import { chainArg, modeOut, paymentIdArg, paymentSecretArg, paymentSecretFor, quoteOut } from "./common.js";
import type { ToolContext } from "../tool.js";
import type { Token } from "../../spacepay/types.js";

export const createQuote = defineTool({
  name: "create_quote",
  title: "Create quote",
  description:
    "Quote a pending payment in a token and chain: exact token amount, deposit address, expiry. No token or chain: SpacePay's default.",
  inputSchema: {
    paymentId: paymentIdArg,
    token: z.string().min(1).max(20).optional().describe("Token symbol, e.g. USDC, USDT, ETH"),
    chainId: chainArg.optional(),
    contractAddress: z.string().min(1).max(100).optional().describe("Token contract (instead of token)"),
    forceDepositAmountCents: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .optional()
      .describe("Deposits only: amount to price, cents"),
    paymentSecret: paymentSecretArg,
  },
  outputSchema: { mode: modeOut, quote: quoteOut },
  // SpacePay's "create or update": a new quote replaces the active one for the same token (that one
  // expires, with its amount and address), so it changes upstream state, not only adds to it.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx) {
    const secret = await paymentSecretFor(ctx, args.paymentId, args.paymentSecret);
    let chainId = args.chainId !== undefined ? caip2Arg("chainId", args.chainId) : undefined;
    let contractAddress = args.contractAddress;
    if (contractAddress === undefined && args.token !== undefined) {
      const token = await findToken(ctx, args.token, chainId);
      contractAddress = token.contractAddress;
      chainId = token.chain.chainId;
    }
    const res = await ctx.api.createQuote(
      args.paymentId,
      secret,
      { chainId, contractAddress, forceDepositAmount: args.forceDepositAmountCents },
      { signal: ctx.signal },
    );
    const view = quoteView(res.data);
    return { structured: { mode: ctx.info.mode, quote: view }, text: `Quote ${view.id}: ${quoteLine(view)}` };
  },
});

export function caip2Arg(field: string, value: string | number): string {
  try {
    return toCaip2(value);
  } catch (err) {
    throw new ToolInputError(field, err instanceof Error ? err.message : String(err));
  }
}

/** Finds the active token `symbol`, on `chainId` when given. */
async function findToken(ctx: ToolContext, symbol: string, chainId: string | undefined): Promise<Token> {
  const res = await ctx.api.listTokens({ symbol, chainId, limit: 100 }, { signal: ctx.signal });
  const tokens = res.data.data.filter(
    (t) => t.symbol.toUpperCase() === symbol.toUpperCase() && (t.status ?? "active") === "active",
  );
  const [first] = tokens;
  if (!first) {
    throw new ToolInputError(
      "token",
      `no active token ${JSON.stringify(symbol)}${chainId ? ` on ${chainId}` : ""}; use list_supported_tokens to see what can pay`,
    );
  }
  if (tokens.length > 1 && !chainId) {
    const chains = tokens.map((t) => t.chain.chainId).join(", ");
    throw new ToolInputError(
      "chainId",
      `${symbol} exists on several chains (${chains}); pass chainId to choose one`,
    );
  }
  return first;
}
