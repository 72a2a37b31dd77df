// refresh_status: ask SpacePay to re-check a payment on-chain now, optionally pointing at a tx.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { PAYMENT_STATUS_MEANING } from "../render.js";
import { READ_ONLY, chainArg, modeOut, paymentIdArg, paymentSecretArg, paymentSecretFor } from "./common.js";
import { caip2Arg } from "./create-quote.js";

export const refreshStatus = defineTool({
  name: "refresh_status",
  title: "Refresh payment status",
  description: "Make SpacePay re-check a payment on-chain now, e.g. when a customer says they paid.",
  inputSchema: {
    paymentId: paymentIdArg,
    transactionHash: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex characters")
      .optional()
      .describe("Customer's tx hash (0x + 64 hex)"),
    chainId: chainArg.optional(),
    tokenContractAddress: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe("Token contract the customer paid with"),
    paymentSecret: paymentSecretArg,
  },
  outputSchema: { mode: modeOut, id: z.string(), status: z.string(), statusMeaning: z.string() },
  // Only makes SpacePay look at the chain (or the custody provider) sooner: the status it may record
  // is what already happened there, so it changes nothing a merchant or customer controls.
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const secret = await paymentSecretFor(ctx, args.paymentId, args.paymentSecret);
    const res = await ctx.api.refreshStatus(
      args.paymentId,
      secret,
      {
        transactionHash: args.transactionHash,
        chainId: args.chainId !== undefined ? caip2Arg("chainId", args.chainId) : undefined,
        tokenContractAddress: args.tokenContractAddress,
      },
      { signal: ctx.signal },
    );
    const meaning = PAYMENT_STATUS_MEANING[res.data.status] ?? res.data.status;
    return {
      structured: { mode: ctx.info.mode, id: res.data.id, status: res.data.status, statusMeaning: meaning },
      text: `Payment ${res.data.id} re-checked: ${res.data.status} (${meaning}).`,
    };
  },
});
