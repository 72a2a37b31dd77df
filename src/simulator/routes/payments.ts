// Merchant (secret-key) payment routes: create, list with filters/search/sort/pagination, get.
import { PAYMENT_STATUSES, PAYMENT_TYPES } from "../../spacepay/wire.js";
import { notFound } from "../errors.js";
import type { Payment } from "../model.js";
import { createPayment } from "../payments.js";
import { asObject, int, oneOf, queryEnum, queryInt, queryString, str } from "../validate.js";
import { merchantPaymentDto, page } from "../views.js";
import { ok, type Ctx, type Route } from "./types.js";

/** The documented minimum (the sources disagree; see docs/SPACEPAY-API.md). */
export const MIN_PAYMENT_CENTS = 250;
export const MAX_CENTS = 100_000_000;
const BASE = "/v1/external/secretkey-auth/payments";

function create(ctx: Ctx) {
  const { sim } = ctx.rt;
  const b = asObject(ctx.body);
  const type = oneOf(b, "type", PAYMENT_TYPES) ?? "payment";
  const amount =
    type === "payment"
      ? int(b, "amount", { required: true, min: MIN_PAYMENT_CENTS, max: MAX_CENTS, code: "invalid_amount" })
      : undefined;
  oneOf(b, "currency", ["USD"], true);
  const orderId = str(b, "orderId", { required: true, maxLength: 255 });
  const customerRefId = str(b, "customerRefId", { maxLength: 255 });
  const redirectUrl = str(b, "redirectUrl", { maxLength: 2048, url: true });
  const customMetadata = str(b, "customMetadata", { maxLength: 2048 });
  const p = createPayment(sim, { type, amount, orderId, customerRefId, redirectUrl, customMetadata });
  return ok(
    {
      paymentUrl: `${sim.baseUrl}/pay/${p.id}`,
      secret: p.secret,
      paymentId: p.id,
      payment: merchantPaymentDto(sim, p),
    },
    201,
  );
}

function list(ctx: Ctx) {
  const { sim } = ctx.rt;
  const q = ctx.query;
  const type = queryEnum(q, "type", PAYMENT_TYPES);
  const status = queryEnum(q, "status", PAYMENT_STATUSES);
  let needle = queryString(q, "search")?.toLowerCase();
  // A needle inside the merchant short name matches every payment.
  if (needle !== undefined && sim.config.merchantShortName.toLowerCase().includes(needle)) needle = undefined;
  const sortBy = queryEnum(q, "sortBy", ["createdAt", "amountInCents"] as const) ?? "createdAt";
  const desc = (queryEnum(q, "sortOrder", ["ASC", "DESC"] as const) ?? "DESC") === "DESC";
  const limit = queryInt(q, "limit", 1, 1000, 100);
  const offset = queryInt(q, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
  sim.sweepExpired();

  const all = sim.store.paymentOrder;
  const filtered = type !== undefined || status !== undefined || needle !== undefined;
  const matches = (p: Payment): boolean =>
    (type === undefined || p.type === type) &&
    (status === undefined || p.status === status) &&
    (needle === undefined || p.haystack.includes(needle));
  let total: number;
  let slice: Payment[];
  if (sortBy === "createdAt") {
    // The store is already in createdAt order: walk it in the asked direction, no sort needed.
    if (!filtered) {
      total = all.length;
      slice = desc
        ? all.slice(Math.max(0, total - offset - limit), Math.max(0, total - offset)).reverse()
        : all.slice(offset, offset + limit);
    } else {
      total = 0;
      slice = [];
      const n = all.length;
      for (let i = 0; i < n; i++) {
        const p = all[desc ? n - 1 - i : i] as Payment;
        if (!matches(p)) continue;
        if (total >= offset && slice.length < limit) slice.push(p);
        total++;
      }
    }
  } else {
    const hits = filtered ? all.filter(matches) : all.slice();
    if (desc) hits.reverse();
    // Stable sort: equal amounts keep createdAt order in the same direction.
    hits.sort((a, b) => (desc ? b.amountInCents - a.amountInCents : a.amountInCents - b.amountInCents));
    total = hits.length;
    slice = hits.slice(offset, offset + limit);
  }
  return ok(
    page(
      slice.map((p) => merchantPaymentDto(sim, p)),
      total,
      limit,
      offset,
    ),
  );
}

function get(ctx: Ctx) {
  const { sim } = ctx.rt;
  sim.sweepExpired();
  const p = sim.store.payments.get(ctx.params.paymentId ?? "");
  if (!p) throw notFound("payment_not_found", "Payment not found");
  return ok(merchantPaymentDto(sim, p));
}

export const paymentRoutes: Route[] = [
  { method: "POST", path: BASE, auth: "secretKey", idempotencyScope: () => "payments", handle: create },
  { method: "GET", path: BASE, auth: "secretKey", handle: list },
  { method: "GET", path: `${BASE}/:paymentId`, auth: "secretKey", handle: get },
];
