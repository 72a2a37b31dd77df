// What create_payment and create_deposit share: the API call, keeping the payment secret, and a
// payment link that never carries that secret.
import { registerSecret } from "../../log.js";
import type { ToolContext } from "../tool.js";
import { paymentView, type PaymentView } from "../render.js";
import { metadataString } from "./common.js";

interface PaymentRequestArgs {
  type: "payment" | "deposit";
  amountInCents?: number;
  orderId: string;
  currency: "USD";
  customerRefId?: string;
  redirectUrl?: string;
  customMetadata?: string | Record<string, unknown>;
  idempotencyKey?: string;
}

/** Removes the payment secret from a payment URL, should SpacePay ever embed it there. */
export function safePaymentUrl(url: string, secret: string): string {
  if (!secret || !url.includes(secret)) return url;
  try {
    const u = new URL(url);
    for (const [k, v] of [...u.searchParams]) if (v === secret) u.searchParams.delete(k);
    const out = u.toString();
    return out.includes(secret) ? out.split(secret).join("") : out;
  } catch {
    return url.split(secret).join("");
  }
}

export async function createPaymentRequest(
  ctx: ToolContext,
  args: PaymentRequestArgs,
): Promise<{
  view: PaymentView;
  paymentUrl: string;
  replayed: boolean;
  headline: string;
  meta: { ids: Record<string, string>; requestId: string | null; replayed: boolean };
}> {
  const res = await ctx.api.createPayment(
    {
      type: args.type,
      amountInCents: args.type === "payment" ? args.amountInCents : undefined,
      currency: args.currency,
      orderId: args.orderId,
      customerRefId: args.customerRefId,
      redirectUrl: args.redirectUrl,
      customMetadata: metadataString(args.customMetadata),
    },
    { signal: ctx.signal, idempotencyKey: ctx.idempotencyKey ?? args.idempotencyKey },
  );
  const { paymentId, secret } = res.data;
  registerSecret(secret);
  await ctx.secrets.put(paymentId, secret);
  const view = paymentView(res.data.payment);
  const noun = args.type === "deposit" ? "deposit" : "payment";
  const headline = res.meta.replayed
    ? `SpacePay returned the ${noun} already created for this request; no new ${noun} was made.`
    : `Created ${noun} ${paymentId}. Send the customer the payment link.`;
  return {
    view,
    paymentUrl: safePaymentUrl(res.data.paymentUrl, secret),
    replayed: res.meta.replayed,
    headline,
    meta: { ids: { paymentId }, requestId: res.meta.requestId, replayed: res.meta.replayed },
  };
}
