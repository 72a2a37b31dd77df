// create_payment: a fixed-amount payment request; returns the customer's payment link.
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

export const createPayment = defineTool({
  name: "create_payment",
  title: "Create payment",
  description:
    "Invoice a customer: a fixed-amount crypto payment request and its payment link. Repeating the same order and amount returns the same payment.",
  inputSchema: {
    amountInCents: z.number().int().min(250).max(100_000_000).describe("Amount in US cents, 250–100000000"),
    orderId: orderIdArg,
    currency: currencyArg,
    redirectUrl: redirectUrlArg,
    customMetadata: customMetadataArg,
    idempotencyKey: idempotencyKeyArg,
    confirmationToken: confirmationTokenArg,
  },
  outputSchema: {
    mode: modeOut,
    replayed: z.boolean().describe("An earlier payment for the same request"),
    paymentUrl: z.string(),
    payment: paymentRef,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  movesMoney: {
    kind: "payment",
    summarize: (a) => ({
      action: "create_payment",
      amountInCents: a.amountInCents,
      currency: a.currency,
      orderId: a.orderId,
    }),
  },
  async handler(args, ctx) {
    const out = await createPaymentRequest(ctx, { type: "payment", ...args });
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
