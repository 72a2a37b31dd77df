// create_deposit: a flexible-amount deposit; the customer chooses how much to send.
import { defineTool } from "../tool.js";
import { referenceText } from "./common.js";
import { createPaymentRequest, orderArgs, paymentRequestTool, requestOptionArgs } from "./payment-request.js";

export const createDeposit = defineTool({
  name: "create_deposit",
  title: "Create deposit",
  description: "A flexible-amount crypto deposit (the customer chooses the amount) and its link.",
  inputSchema: {
    ...orderArgs,
    customerRefId: referenceText().optional().describe("Stable customer id; reuses their deposit wallet"),
    ...requestOptionArgs,
  },
  ...paymentRequestTool,
  guarded: {
    action: "create_deposit",
    summarize: (a) => ({
      amountInCents: null,
      currency: a.currency,
      orderId: a.orderId,
      customerRefId: a.customerRefId,
      redirectUrl: a.redirectUrl,
    }),
  },
  handler: (args, ctx) => createPaymentRequest(ctx, { type: "deposit", ...args }),
});
