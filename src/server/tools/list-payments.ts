// list_payments: filter, search, sort and page payments. The API filters neither by order id nor by
// date: those answer from the order index (safety/order-index-sync.ts) with each match fetched live,
// and where the index does not reach, by paging through SpacePay's results up to a stated bound.
import { z } from "zod";
import { defineTool, type ToolContext } from "../tool.js";
import type { IndexCover } from "../../safety/order-index-sync.js";
import type { IndexedPayment } from "../../safety/order-index.js";
import { NotFoundError } from "../../spacepay/errors.js";
import { clean, pageFooter, pageOf, paymentLine, paymentView, quote } from "../render.js";
import type { ListPaymentsQuery, Payment } from "../../spacepay/types.js";
import { PAYMENT_STATUSES, PAYMENT_TYPES } from "../../spacepay/wire.js";
import { ToolInputError } from "../errors.js";
import { limitArg, modeOut, offsetArg, pageOut, paymentRef, READ_ONLY, referenceText } from "./common.js";

/** How many payments a scan for orderId or dates reads at most before it stops and says so. */
export const SCAN_LIMIT = 5000;
const SCAN_PAGE = 1000;
/** Index matches fetched one by one at most when status or amount must be read to order them. */
const INDEX_FETCH_LIMIT = 100;
const FETCH_CONCURRENCY = 8;

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
    orderId: referenceText().optional().describe("Exact order id"),
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
      .object({
        scanned: z.number(),
        complete: z.boolean(),
        index: z
          .object({ complete: z.boolean(), coversSince: z.string().nullable() })
          .optional()
          .describe("The order index answered for payments created since coversSince (all when complete)"),
      })
      .optional()
      .describe(
        "Present when orderId or dates were filtered here; complete=false if older payments may be missing",
      ),
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
      const { items: payments, page, text } = pageOf(res.data, paymentView, paymentLine);
      return { structured: { mode: ctx.info.mode, payments, page }, text };
    }

    const filter = { ...args, after, before };
    const index = args.search === undefined ? await ctx.orderIndex?.cover() : null;
    const indexed = index ? await fromIndex(index, filter, query, ctx) : null;
    const { matches, scanned, complete } = indexed ?? (await scan(filter, query, 0, ctx));
    const total = indexed?.total ?? matches.length;
    // From the index, `matches` may already be just the page asked for (it was fetched by id).
    const slice = indexed?.paged ? matches : matches.slice(args.offset, args.offset + args.limit);
    const payments = slice.map(paymentView);
    const hasMore = args.offset + slice.length < total;
    const page = {
      total,
      limit: args.limit,
      offset: args.offset,
      hasMore,
      nextOffset: hasMore ? args.offset + slice.length : null,
    };
    const lines = payments.map(paymentLine);
    lines.push(pageFooter(page, payments.length));
    const what = args.orderId !== undefined ? `order ${quote(args.orderId)}` : "the date range";
    const since = index?.coversSince != null ? new Date(index.coversSince).toISOString() : null;
    if (indexed && index?.complete) {
      lines.push(`Looked up ${what} in the order index, which covers all payments; statuses are live.`);
    } else if (indexed) {
      lines.push(
        `The order index covers payments created since ${since}; ${
          complete
            ? `older ones were scanned (${scanned}) to the end.`
            : `scanned ${scanned} older payments (the bound is ${SCAN_LIMIT}); older payments for ${what} may exist.`
        }`,
      );
    } else {
      lines.push(
        complete
          ? `Searched all ${scanned} matching payments for ${what}.`
          : `Stopped after scanning ${scanned} payments (the bound is ${SCAN_LIMIT}); older payments for ${what} may exist. Narrow with type, status or createdAfter.`,
      );
    }
    const indexOut = index ? { index: { complete: index.complete, coversSince: since } } : {};
    return {
      structured: { mode: ctx.info.mode, payments, page, scan: { scanned, complete, ...indexOut } },
      text: lines.join("\n"),
    };
  },
});

interface Filter {
  orderId?: string;
  type?: string;
  status?: string;
  after: number | null;
  before: number | null;
  sortBy?: "createdAt" | "amountInCents";
  sortOrder?: "ASC" | "DESC";
  limit: number;
  offset: number;
}

const inWindow = (f: Filter, t: number) =>
  (f.after === null || t >= f.after) && (f.before === null || t < f.before);

/**
 * Pages through SpacePay's list from `from` (newest first when sorted that way, so a createdAfter
 * scan stops early), keeping what matches, up to SCAN_LIMIT payments read. With `from` above 0 the
 * list is read unfiltered (the offset is a position in the whole list) and type and status are
 * checked here.
 */
async function scan(
  f: Filter,
  query: ListPaymentsQuery,
  from: number,
  ctx: ToolContext,
): Promise<{ matches: Payment[]; scanned: number; complete: boolean }> {
  const byCreatedDesc = (f.sortBy ?? "createdAt") === "createdAt" && (f.sortOrder ?? "DESC") === "DESC";
  const listQuery: ListPaymentsQuery = from ? { sortBy: "createdAt", sortOrder: "DESC" } : query;
  const matches: Payment[] = [];
  let scanned = 0;
  while (scanned < SCAN_LIMIT) {
    const res = await ctx.api.listPayments(
      { ...listQuery, limit: Math.min(SCAN_PAGE, SCAN_LIMIT - scanned), offset: from + scanned },
      { signal: ctx.signal },
    );
    const batch = res.data.data;
    scanned += batch.length;
    for (const p of batch) {
      const t = Date.parse(p.createdAt);
      if ((byCreatedDesc || from) && f.after !== null && t < f.after)
        return { matches, scanned, complete: true };
      if (!inWindow(f, t)) continue;
      if (from && ((f.type && p.type !== f.type) || (f.status && p.status !== f.status))) continue;
      // Compared as shown: the model only ever sees order ids cleaned of invisible characters.
      if (f.orderId !== undefined && (p.orderId === null || clean(p.orderId) !== f.orderId)) continue;
      matches.push(p);
    }
    if (!res.data.pagination.hasMore || batch.length === 0) return { matches, scanned, complete: true };
  }
  return { matches, scanned, complete: false };
}

/**
 * The answer from the order index: its matches fetched by id (so status and amounts are live), and
 * when it does not reach back far enough, a bounded scan of the older rest. When neither status nor
 * amount decides the order, only the page asked for is fetched. Null when the matches are too many
 * to fetch one by one: the plain scan answers then.
 */
async function fromIndex(
  index: IndexCover,
  f: Filter,
  query: ListPaymentsQuery,
  ctx: ToolContext,
): Promise<{ matches: Payment[]; total: number; paged: boolean; scanned: number; complete: boolean } | null> {
  const ascending = f.sortOrder === "ASC";
  const candidates = (
    f.orderId !== undefined
      ? await index.byOrder(f.orderId)
      : await index.inRange(f.after, f.before, ascending)
  ).filter((p) => inWindow(f, p.createdAt) && (!f.type || p.type === f.type));
  if (ascending) candidates.sort((a, b) => a.createdAt - b.createdAt);
  const covered =
    index.complete || (f.after !== null && index.coversSince !== null && f.after >= index.coversSince);
  if (covered && !f.status && (f.sortBy ?? "createdAt") === "createdAt") {
    const page = await fetchAll(candidates.slice(f.offset, f.offset + f.limit), ctx);
    return { matches: page, total: candidates.length, paged: true, scanned: 0, complete: true };
  }
  if (candidates.length > INDEX_FETCH_LIMIT) return null;
  const rest = covered
    ? { matches: [], scanned: 0, complete: true }
    : await scan(f, query, index.restOffset, ctx);
  const fetched = (await fetchAll(candidates, ctx)).filter((p) => !f.status || p.status === f.status);
  const seen = new Set(fetched.map((p) => p.id));
  const matches = [...fetched, ...rest.matches.filter((p) => !seen.has(p.id))];
  const key = (p: Payment) =>
    f.sortBy === "amountInCents" ? (p.amountInCents ?? 0) : Date.parse(p.createdAt);
  matches.sort((a, b) => (ascending ? key(a) - key(b) : key(b) - key(a)));
  return { matches, total: matches.length, paged: false, scanned: rest.scanned, complete: rest.complete };
}

/** Each payment fetched by id, a few at a time; one SpacePay no longer has is left out. */
async function fetchAll(ids: readonly IndexedPayment[], ctx: ToolContext): Promise<Payment[]> {
  const out: Array<Payment | null> = new Array<Payment | null>(ids.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      try {
        out[i] = (await ctx.api.getPayment(ids[i]!.id, { signal: ctx.signal })).data;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, ids.length) }, worker));
  return out.filter((p): p is Payment => p !== null);
}
