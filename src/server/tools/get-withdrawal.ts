// get_withdrawal: one withdrawal with its status and receipt.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { withdrawalText, withdrawalView } from "../render.js";
import { modeOut, READ_ONLY, withdrawalOut } from "./common.js";

export const getWithdrawal = defineTool({
  name: "get_withdrawal",
  title: "Get withdrawal",
  description: "Look up one withdrawal by id: status, amount, recipient, chain and receipt.",
  inputSchema: { withdrawalId: z.string().trim().min(1).max(100).describe("SpacePay withdrawal id (UUID)") },
  outputSchema: { mode: modeOut, withdrawal: withdrawalOut },
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const res = await ctx.api.getWithdrawal(args.withdrawalId, { signal: ctx.signal });
    const view = withdrawalView(res.data);
    return { structured: { mode: ctx.info.mode, withdrawal: view }, text: withdrawalText(view) };
  },
});
