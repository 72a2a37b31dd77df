// Customer-scoped (payment-secret) routes: payment, status, quotes, refresh-status. Authentication has
// already matched the secret to the path's payment, which is in `ctx.payment`.
import { invalid } from "../errors.js";
import type { Payment } from "../model.js";
import { createQuote, isQuoteActive } from "../payments.js";
import { chainById } from "../registry.js";
import { asObject, int, str } from "../validate.js";
import { paymentDto, quoteDto } from "../views.js";
import { MAX_CENTS } from "./payments.js";
import { ok, type Ctx, type Route } from "./types.js";

const BASE = "/v1/external/payment-secret-auth/payments/:paymentId";

function payment(ctx: Ctx): Payment {
  ctx.rt.sim.sweepExpired();
  return ctx.payment as Payment;
}

function knownChain(chainId: string | undefined, param: string): void {
  if (chainId !== undefined && !chainById(chainId)) {
    throw invalid("chain_not_supported", `Unknown or unsupported chain ${chainId}`, param);
  }
}

export const paymentSecretRoutes: Route[] = [
  {
    method: "GET",
    path: BASE,
    auth: "paymentSecret",
    handle: (ctx) => ok(paymentDto(ctx.rt.sim, payment(ctx))),
  },
  {
    method: "GET",
    path: `${BASE}/status`,
    auth: "paymentSecret",
    handle: (ctx) => {
      const p = payment(ctx);
      return ok({ id: p.id, status: p.status });
    },
  },
  {
    method: "GET",
    path: `${BASE}/quotes`,
    auth: "paymentSecret",
    handle: (ctx) => {
      const p = payment(ctx);
      const now = ctx.rt.sim.now();
      return ok(p.quotes.filter((q) => isQuoteActive(q, now)).map((q) => quoteDto(p, q, now)));
    },
  },
  {
    method: "POST",
    path: `${BASE}/quotes`,
    auth: "paymentSecret",
    idempotencyScope: (ctx) => `quotes:${ctx.params.paymentId ?? ""}`,
    handle: (ctx) => {
      const p = payment(ctx);
      const b = asObject(ctx.body);
      const chainId = str(b, "chainId", { maxLength: 41 });
      const contractAddress = str(b, "contractAddress");
      const forceDepositAmount = int(b, "forceDepositAmount", {
        min: 1,
        max: MAX_CENTS,
        code: "invalid_amount",
      });
      knownChain(chainId, "chainId");
      const quote = createQuote(ctx.rt.sim, p, { chainId, contractAddress, forceDepositAmount });
      return ok(quoteDto(p, quote, ctx.rt.sim.now()), 201);
    },
  },
  {
    method: "POST",
    path: `${BASE}/refresh-status`,
    auth: "paymentSecret",
    handle: (ctx) => {
      const p = payment(ctx);
      const b = asObject(ctx.body);
      str(b, "transactionHash", { maxLength: 100 });
      knownChain(str(b, "chainId", { maxLength: 41 }), "chainId");
      str(b, "tokenContractAddress");
      // The simulator's "chain" is always up to date, so a refresh just reports the current status.
      return ok({ id: p.id, status: p.status });
    },
  },
];
