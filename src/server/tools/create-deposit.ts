// create_deposit: a flexible-amount deposit; the customer chooses how much to send.
import { z } from "zod";
import { defineTool } from "../tool.js";
import {
  createdPaymentOutput,
  createPaymentRequest,
  orderArgs,
  paymentRequestAnnotations,
  requestOptionArgs,
} from "./payment-request.js";

export const createDeposit = defineTool({
  name: "create_deposit",
  title: "Create deposit",
  description: "A flexible-amount crypto deposit (the customer chooses the amount) and its link.",
  inputSchema: {
    ...orderArgs,
    customerRefId: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("Stable customer id; reuses their deposit wallet"),
    ...requestOptionArgs,
  },
  outputSchema: createdPaymentOutput,
  annotations: paymentRequestAnnotations,
  guarded: {
    kind: "payment",
    summarize: (a) => ({
      action: "create_deposit",
      amountInCents: null,
      currency: a.currency,
      orderId: a.orderId,
    }),
  },
  handler: (args, ctx) => createPaymentRequest(ctx, { type: "deposit", ...args }),
});
