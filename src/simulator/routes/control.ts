// The `/__simulator/` control API: an HTTP mirror of the in-process control handle. It needs no
// credential; the simulator only listens on loopback.
import { invalid, notFound } from "../errors.js";
import type { FaultSpec } from "../faults.js";
import type { PayOutcome } from "../payments.js";
import { asObject, int, oneOf, str, type Body } from "../validate.js";
import type { WebhookFaults } from "../webhooks.js";
import { ok, type Route } from "./types.js";

const P = "/__simulator";

function bool(b: Body, key: string): boolean | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw invalid("parameter_invalid_type", `${key} must be a boolean`, key);
  return v;
}

function num(b: Body, key: string): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw invalid("parameter_invalid_type", `${key} must be a number`, key);
  return v;
}

function faultSpec(b: Body): FaultSpec {
  const retryAfter = b.retryAfter;
  if (retryAfter !== undefined && typeof retryAfter !== "number" && typeof retryAfter !== "string") {
    throw invalid("parameter_invalid_type", "retryAfter must be a number or string", "retryAfter");
  }
  return {
    kind: str(b, "kind", { required: true }) as FaultSpec["kind"],
    method: str(b, "method"),
    path: str(b, "path"),
    pathRegex: str(b, "pathRegex"),
    latencyMs: num(b, "latencyMs"),
    status: num(b, "status"),
    retryAfter,
    count: num(b, "count"),
    probability: num(b, "probability"),
  };
}

function probability(b: Body, key: string): number | undefined {
  const v = num(b, key);
  if (v !== undefined && (v < 0 || v > 1))
    throw invalid("parameter_out_of_range", `${key} must be from 0 to 1`, key);
  return v;
}

function webhookFaults(body: unknown): WebhookFaults | undefined {
  if (body === undefined || body === null) return undefined;
  const b = asObject(body);
  return {
    drop: probability(b, "drop"),
    duplicate: probability(b, "duplicate"),
    badSignature: probability(b, "badSignature"),
    delayMs: int(b, "delayMs", { min: 0, max: 600_000 }),
    reorder: bool(b, "reorder"),
  };
}

export const controlRoutes: Route[] = [
  { method: "GET", path: `${P}/info`, auth: "none", handle: (ctx) => ok(ctx.rt.control.info()) },
  { method: "GET", path: `${P}/counts`, auth: "none", handle: (ctx) => ok(ctx.rt.control.counts()) },
  {
    method: "GET",
    path: `${P}/clock`,
    auth: "none",
    handle: (ctx) => ok({ now: ctx.rt.control.now().toISOString() }),
  },
  {
    method: "POST",
    path: `${P}/clock/advance`,
    auth: "none",
    handle: (ctx) => {
      const b = asObject(ctx.body);
      const now = ctx.rt.control.advanceClock({ ms: num(b, "ms"), minutes: num(b, "minutes") });
      return ok({ now: now.toISOString() });
    },
  },
  {
    method: "GET",
    path: `${P}/payments/:paymentId`,
    auth: "none",
    handle: (ctx) => {
      const id = ctx.params.paymentId ?? "";
      const payment = ctx.rt.control.getPayment(id);
      if (!payment) throw notFound("payment_not_found", "Payment not found");
      return ok({ payment, secret: ctx.rt.control.paymentSecret(id) });
    },
  },
  {
    method: "POST",
    path: `${P}/payments/:paymentId/pay`,
    auth: "none",
    handle: async (ctx) => {
      const b = asObject(ctx.body);
      const payment = await ctx.rt.control.pay(ctx.params.paymentId ?? "", {
        outcome: oneOf<PayOutcome>(b, "outcome", ["exact", "under", "over"]),
        chainId: str(b, "chainId"),
        contractAddress: str(b, "contractAddress"),
        tokenId: str(b, "tokenId"),
        txHash: str(b, "txHash"),
        sender: str(b, "sender"),
        amountAsset: str(b, "amountAsset", { pattern: /^\d+$/ }),
        wait: bool(b, "wait"),
      });
      return ok({ payment });
    },
  },
  {
    method: "POST",
    path: `${P}/settle`,
    auth: "none",
    handle: (ctx) => ok({ settled: ctx.rt.control.settleNow() }),
  },
  {
    method: "POST",
    path: `${P}/withdrawals/:withdrawalId/complete`,
    auth: "none",
    handle: async (ctx) => {
      const b = asObject(ctx.body);
      const withdrawal = await ctx.rt.control.completeWithdrawal(ctx.params.withdrawalId ?? "", {
        txHash: str(b, "txHash"),
        wait: bool(b, "wait"),
      });
      return ok({ withdrawal });
    },
  },
  {
    method: "POST",
    path: `${P}/withdrawals/:withdrawalId/fail`,
    auth: "none",
    handle: async (ctx) => {
      const b = asObject(ctx.body);
      const withdrawal = await ctx.rt.control.failWithdrawal(ctx.params.withdrawalId ?? "", {
        errorMessage: str(b, "errorMessage", { maxLength: 2048 }),
        wait: bool(b, "wait"),
      });
      return ok({ withdrawal });
    },
  },
  {
    method: "GET",
    path: `${P}/faults`,
    auth: "none",
    handle: (ctx) => ok({ faults: ctx.rt.control.listFaults() }),
  },
  {
    method: "POST",
    path: `${P}/faults`,
    auth: "none",
    handle: (ctx) => ok({ fault: ctx.rt.control.addFault(faultSpec(asObject(ctx.body))) }, 201),
  },
  {
    method: "DELETE",
    path: `${P}/faults`,
    auth: "none",
    handle: (ctx) => ok({ removed: ctx.rt.control.clearFaults() }),
  },
  {
    method: "DELETE",
    path: `${P}/faults/:faultId`,
    auth: "none",
    handle: (ctx) => ok({ removed: ctx.rt.control.clearFaults(ctx.params.faultId) }),
  },
  {
    method: "GET",
    path: `${P}/requests`,
    auth: "none",
    handle: (ctx) =>
      ok({
        requests: ctx.rt.control.requests({
          method: ctx.query.get("method") ?? undefined,
          path: ctx.query.get("path") ?? undefined,
        }),
      }),
  },
  {
    method: "DELETE",
    path: `${P}/requests`,
    auth: "none",
    handle: (ctx) => {
      ctx.rt.control.clearRequests();
      return ok({ cleared: true });
    },
  },
  {
    method: "POST",
    path: `${P}/reset`,
    auth: "none",
    handle: (ctx) => {
      ctx.rt.control.reset();
      return ok({ reset: true });
    },
  },
  {
    method: "POST",
    path: `${P}/seed`,
    auth: "none",
    handle: (ctx) => {
      const b = asObject(ctx.body);
      const count = int(b, "count", { required: true, min: 0, max: 1_000_000 });
      const seed = int(b, "seed", { min: 0, max: 2 ** 32 - 1 });
      return ok({ ids: ctx.rt.control.seed(count, seed) });
    },
  },
  {
    method: "POST",
    path: `${P}/webhooks`,
    auth: "none",
    handle: (ctx) => {
      const b = asObject(ctx.body);
      const url = str(b, "url");
      // {url: null} (or no url) stops sending.
      if (url === undefined) {
        ctx.rt.control.webhooks(null);
        return ok({ webhooks: null });
      }
      const faults = webhookFaults(b.faults);
      ctx.rt.control.webhooks({ url, secret: str(b, "secret", { required: true }), faults });
      // Never the secret back.
      return ok({ webhooks: { url, faults: faults ?? {} } });
    },
  },
  {
    method: "GET",
    path: `${P}/webhooks/deliveries`,
    auth: "none",
    handle: (ctx) => ok({ deliveries: ctx.rt.control.webhookDeliveries() }),
  },
];
