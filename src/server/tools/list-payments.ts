// list_payments: filter, search, sort and page payments; order-id and date filters are applied here
// by paging through SpacePay's results (the API has neither), up to a stated bound.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { clean, pageFooter, pageView, paymentLine, paymentView, quote } from "../render.js";
import type { ListPaymentsQuery, Payment } from "../../spacepay/types.js";
import { PAYMENT_STATUSES, PAYMENT_TYPES } from "../../spacepay/wire.js";
import { ToolInputError } from "../errors.js";
import { limitArg, modeOut, offsetArg, pageOut, paymentRef, READ_ONLY, referenceText } from "./common.js";

/** How many payments a scan for orderId or dates reads at most before it stops and says so. */
export const SCAN_LIMIT = 5000;
const SCAN_PAGE = 1000;

const isoDate = z
  .string()
  .refine(
    (s) => !Number.isNaN(Date.parse(s)),
    "must be an ISO date such as 2026-11-01 or 2026-11-01T12:00:00Z",
  );

export const listPayments = defineTool({
  name: "list_payments",
  title: "List payments",
  description: "List payments and deposits, newest first: filter, search, sort, page.",
  inputSchema: {
    type: z.enum(PAYMENT_TYPES).optional().describe("payment or deposit"),
    status: z.enum(PAYMENT_STATUSES).optional().describe("Only this status"),
    search: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("Partial match on payment id, address, tx hash, sender"),
    orderId: referenceText().optional().describe(`Exact order id (scans up to ${SCAN_LIMIT} payments)`),
    createdAfter: isoDate.optional().describe("Created at or after this ISO date"),
    createdBefore: isoDate.optional().describe("Created before this ISO date"),
    sortBy: z.enum(["createdAt", "amountInCents"]).optional().describe("Default createdAt"),
    sortOrder: z.enum(["ASC", "DESC"]).optional().describe("Default DESC"),
    limit: limitArg,
    offset: offsetArg,
  },
  outputSchema: {
    mode: modeOut,
    payments: z.array(paymentRef),
    page: pageOut,
    scan: z
      .object({ scanned: z.number(), complete: z.boolean() })
      .optional()
      .describe("Present when orderId or dates were filtered here; complete=false if the scan bound was hit"),
  },
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const query: ListPaymentsQuery = {
      type: args.type,
      status: args.status,
      search: args.search,
      sortBy: args.sortBy,
      sortOrder: args.sortOrder,
    };
    const after = args.createdAfter ? Date.parse(args.createdAfter) : null;
    const before = args.createdBefore ? Date.parse(args.createdBefore) : null;
    if (after !== null && before !== null && after >= before) {
      throw new ToolInputError("createdBefore", "must be later than createdAfter");
    }

    if (args.orderId === undefined && after === null && before === null) {
      const res = await ctx.api.listPayments(
        { ...query, limit: args.limit, offset: args.offset },
        { signal: ctx.signal },
      );
      const payments = res.data.data.map(paymentView);
      const page = pageView(res.data);
      return {
        structured: { mode: ctx.info.mode, payments, page },
        text: [...payments.map(paymentLine), pageFooter(page, payments.length)].join("\n"),
      };
    }

    // Client-side filters: page through SpacePay's list. Newest-first lets a createdAfter scan stop early.
    const byCreatedDesc =
      (args.sortBy ?? "createdAt") === "createdAt" && (args.sortOrder ?? "DESC") === "DESC";
    const matches: Payment[] = [];
    let scanned = 0;
    let complete = false;
    while (scanned < SCAN_LIMIT) {
      const res = await ctx.api.listPayments(
        { ...query, limit: Math.min(SCAN_PAGE, SCAN_LIMIT - scanned), offset: scanned },
        { signal: ctx.signal },
      );
      const batch = res.data.data;
      scanned += batch.length;
      let pastWindow = false;
      for (const p of batch) {
        const t = Date.parse(p.createdAt);
        if (byCreatedDesc && after !== null && t < after) {
          pastWindow = true;
          break;
        }
        if (after !== null && t < after) continue;
        if (before !== null && t >= before) continue;
        // Compared as shown: the model only ever sees order ids cleaned of invisible characters.
        if (args.orderId !== undefined && (p.orderId === null || clean(p.orderId) !== args.orderId)) continue;
        matches.push(p);
      }
      if (pastWindow || !res.data.pagination.hasMore || batch.length === 0) {
        complete = true;
        break;
      }
    }
    const slice = matches.slice(args.offset, args.offset + args.limit);
    const payments = slice.map(paymentView);
    const hasMore = args.offset + slice.length < matches.length;
    const page = {
      total: matches.length,
      limit: args.limit,
      offset: args.offset,
      hasMore,
      nextOffset: hasMore ? args.offset + slice.length : null,
    };
    const lines = payments.map(paymentLine);
    lines.push(pageFooter(page, payments.length));
    const what = args.orderId !== undefined ? `order ${quote(args.orderId)}` : "the date range";
    lines.push(
      complete
        ? `Searched all ${scanned} matching payments for ${what}.`
        : `Stopped after scanning ${scanned} payments (the bound is ${SCAN_LIMIT}); older payments for ${what} may exist. Narrow with type, status or createdAfter.`,
    );
    return {
      structured: { mode: ctx.info.mode, payments, page, scan: { scanned, complete } },
      text: lines.join("\n"),
    };
  },
});
