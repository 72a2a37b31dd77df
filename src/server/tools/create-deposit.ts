// create_deposit: a flexible-amount deposit; the customer chooses how much to send.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { paymentText } from "../render.js";
import {
  confirmationTokenArg,
  currencyArg,
  customMetadataArg,
  idempotencyKeyArg,
  modeOut,
  orderIdArg,
  paymentRef,
  redirectUrlArg,
} from "./common.js";
import { createPaymentRequest } from "./payment-request.js";

export const createDeposit = defineTool({
  name: "create_deposit",
  title: "Create deposit",
  description: "A flexible-amount crypto deposit (the customer chooses the amount) and its link.",
  inputSchema: {
    orderId: orderIdArg,
    currency: currencyArg,
    customerRefId: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("Stable customer id; reuses their deposit wallet"),
    redirectUrl: redirectUrlArg,
    customMetadata: customMetadataArg,
    idempotencyKey: idempotencyKeyArg,
    confirmationToken: confirmationTokenArg,
  },
  outputSchema: {
    mode: modeOut,
    replayed: z.boolean().describe("An earlier deposit for the same request"),
    paymentUrl: z.string(),
    payment: paymentRef,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  movesMoney: {
    kind: "payment",
    summarize: (a) => ({
      action: "create_deposit",
      amountInCents: null,
      currency: a.currency,
      orderId: a.orderId,
    }),
  },
  async handler(args, ctx) {
    const out = await createPaymentRequest(ctx, { type: "deposit", ...args });
    return {
      structured: {
        mode: ctx.info.mode,
        replayed: out.replayed,
        paymentUrl: out.paymentUrl,
        payment: out.view,
      },
      text: `${out.headline}\n${paymentText(out.view, { paymentUrl: out.paymentUrl })}`,
      meta: out.meta,
    };
  },
});
