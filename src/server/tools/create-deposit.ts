// create_deposit: a flexible-amount deposit; the customer chooses how much to send.
import { z } from "zod";
import { defineTool } from "../tool.js";
import {
  confirmationTokenArg,
  currencyArg,
  customMetadataArg,
  idempotencyKeyArg,
  orderIdArg,
  redirectUrlArg,
} from "./common.js";
import { createdPaymentOutput, createPaymentRequest } from "./payment-request.js";

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
  outputSchema: createdPaymentOutput,
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
  handler: (args, ctx) => createPaymentRequest(ctx, { type: "deposit", ...args }),
});
