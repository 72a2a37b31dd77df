// A stand-in for the hosted payment page that `paymentUrl` points to, so the link opens something.
import { notFound } from "../errors.js";
import { centsToDollars } from "../../spacepay/money.js";
import type { Route } from "./types.js";

const escape = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

export const hostedRoutes: Route[] = [
  {
    method: "GET",
    path: "/pay/:paymentId",
    auth: "none",
    handle: (ctx) => {
      const { sim } = ctx.rt;
      sim.sweepExpired();
      const p = sim.store.payments.get(ctx.params.paymentId ?? "");
      if (!p) throw notFound("payment_not_found", "Payment not found");
      const text =
        `<!doctype html><html><head><meta charset="utf-8"><title>SpacePay simulator payment</title></head><body>` +
        `<h1>${escape(sim.config.merchantShortName)}</h1><p>Payment ${escape(p.id)}</p>` +
        `<p>Amount: $${centsToDollars(p.amountInCents)} USD</p><p>Status: ${escape(p.status)}</p>` +
        `<p>Send funds to <code>${escape(p.depositAddress.address)}</code></p></body></html>`;
      return { status: 200, text, contentType: "text/html; charset=utf-8" };
    },
  },
];
