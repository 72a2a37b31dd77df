// list_withdrawals: withdrawals, newest first, filtered by status and paged.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { pageOf, withdrawalLine, withdrawalView } from "../render.js";
import { WITHDRAWAL_STATUSES } from "../../spacepay/wire.js";
import { limitArg, modeOut, offsetArg, pageOut, READ_ONLY, withdrawalRef } from "./common.js";

export const listWithdrawals = defineTool({
  name: "list_withdrawals",
  title: "List withdrawals",
  description: "List withdrawals from the merchant wallet, optionally by status, one page at a time.",
  inputSchema: {
    status: z.enum(WITHDRAWAL_STATUSES).optional().describe("Only this status"),
    limit: limitArg,
    offset: offsetArg,
  },
  outputSchema: { mode: modeOut, withdrawals: z.array(withdrawalRef), page: pageOut },
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const res = await ctx.api.listWithdrawals(
      { status: args.status, limit: args.limit, offset: args.offset },
      { signal: ctx.signal },
    );
    const { items: withdrawals, page, text } = pageOf(res.data, withdrawalView, withdrawalLine);
    return { structured: { mode: ctx.info.mode, withdrawals, page }, text };
  },
});
