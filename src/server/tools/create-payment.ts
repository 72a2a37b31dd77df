// create_payment: a fixed-amount payment request; returns the customer's payment link.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { createPaymentRequest, orderArgs, paymentRequestTool, requestOptionArgs } from "./payment-request.js";

export const createPayment = defineTool({
  name: "create_payment",
  title: "Create payment",
  description:
    "Invoice a customer: a fixed-amount crypto payment request and its payment link. Repeating the same order and amount returns the same payment.",
  inputSchema: {
    amountInCents: z.number().int().min(250).max(100_000_000).describe("Amount in US cents, 250–100000000"),
    ...orderArgs,
    ...requestOptionArgs,
  },
  ...paymentRequestTool,
  guarded: {
    action: "create_payment",
    summarize: (a) => ({
      amountInCents: a.amountInCents,
      currency: a.currency,
      orderId: a.orderId,
      redirectUrl: a.redirectUrl,
    }),
  },
  handler: (args, ctx) => createPaymentRequest(ctx, { type: "payment", ...args }),
});
