// create_withdrawal: send funds from the merchant wallet to a recipient address. Always guarded:
// confirmation, per-withdrawal and rolling limits, allow-list and idempotency wrap this handler.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { withdrawalText, withdrawalView } from "../render.js";
import {
  chainArg,
  confirmationTokenArg,
  customMetadataArg,
  idempotencyKeyArg,
  modeOut,
  referenceText,
  withdrawalRef,
} from "./common.js";
import { caip2Arg } from "./create-quote.js";
import { EVM_ADDRESS, evmAddressProblem, isEvmAddress } from "../../spacepay/chains.js";

export const createWithdrawal = defineTool({
  name: "create_withdrawal",
  title: "Withdraw funds",
  description:
    "Send funds from the merchant wallet to an address. Real money in live mode; the user confirms and limits apply. " +
    "An identical repeat never sends twice; for another withdrawal of the same amount to the same address, use a new orderId or idempotencyKey.",
  inputSchema: {
    amountInCents: z.number().int().min(100).max(100_000_000).describe("Amount in US cents, 100–100000000"),
    chainId: chainArg,
    recipientAddress: z
      .string()
      .regex(EVM_ADDRESS, "must be an EVM address: 0x followed by 40 hex characters")
      .superRefine((address, ctx) => {
        // The shape is the regex above (kept for the advertised pattern); here only the checksum.
        const problem = isEvmAddress(address) ? evmAddressProblem(address) : null;
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe("Recipient EVM address (0x + 40 hex)"),
    orderId: referenceText().optional().describe("Your reference for this withdrawal"),
    customMetadata: customMetadataArg,
    idempotencyKey: idempotencyKeyArg,
    confirmationToken: confirmationTokenArg,
  },
  outputSchema: {
    mode: modeOut,
    replayed: z.boolean().describe("An earlier withdrawal for the same request"),
    withdrawal: withdrawalRef,
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  guarded: {
    action: "create_withdrawal",
    normalize: (a) => ({ ...a, chainId: caip2Arg("chainId", a.chainId) }),
    summarize: (a) => ({
      amountInCents: a.amountInCents,
      currency: "USD",
      orderId: a.orderId,
      chainId: String(a.chainId),
      recipientAddress: a.recipientAddress,
    }),
  },
  async handler(args, ctx) {
    const res = await ctx.api.createWithdrawal(
      {
        amountInCents: args.amountInCents,
        chainId: args.chainId,
        recipientAddress: args.recipientAddress,
        orderId: args.orderId,
        customMetadata: args.customMetadata,
        currency: "USD",
      },
      // The guard's key: the only one (it already took the caller's idempotencyKey into account).
      { signal: ctx.signal, idempotencyKey: ctx.idempotencyKey },
    );
    const view = withdrawalView(res.data);
    const headline = res.meta.replayed
      ? "SpacePay returned the withdrawal already created for this request; nothing new was sent."
      : `Created withdrawal ${view.id}.`;
    return {
      structured: { mode: ctx.info.mode, replayed: res.meta.replayed, withdrawal: view },
      text: `${headline}\n${withdrawalText(view)}`,
      meta: { ids: { withdrawalId: view.id }, requestId: res.meta.requestId, replayed: res.meta.replayed },
    };
  },
});
