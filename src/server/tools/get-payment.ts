// get_payment: one payment in full (status, amounts, quotes, receipt).
import { defineTool } from "../tool.js";
import { paymentText, paymentView } from "../render.js";
import { modeOut, paymentIdArg, paymentOut, READ_ONLY } from "./common.js";

export const getPayment = defineTool({
  name: "get_payment",
  title: "Get payment",
  description: "Look up one payment or deposit by id: status, amounts, quotes and on-chain receipt.",
  inputSchema: { paymentId: paymentIdArg },
  outputSchema: { mode: modeOut, payment: paymentOut },
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const res = await ctx.api.getPayment(args.paymentId, { signal: ctx.signal });
    const view = paymentView(res.data);
    return { structured: { mode: ctx.info.mode, payment: view }, text: paymentText(view) };
  },
});
