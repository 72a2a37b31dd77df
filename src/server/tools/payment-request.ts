// What create_payment and create_deposit share: the API call, keeping the payment secret, and a
// payment link that never carries that secret.
import { z } from "zod";
import { log } from "../../log.js";
import type { ToolResult } from "../../domain.js";
import type { ToolAnnotations, ToolContext } from "../tool.js";
import { paymentText, paymentView } from "../render.js";
import {
  confirmationTokenArg,
  currencyArg,
  customMetadataArg,
  idempotencyKeyArg,
  modeOut,
  orderIdArg,
  paymentRef,
  redirectUrlArg,
} from "./common.js";

/** Arguments both tools take, in the order tools/list shows them (each tool adds its own between). */
export const orderArgs = { orderId: orderIdArg, currency: currencyArg };
export const requestOptionArgs = {
  redirectUrl: redirectUrlArg,
  customMetadata: customMetadataArg,
  idempotencyKey: idempotencyKeyArg,
  confirmationToken: confirmationTokenArg,
};

/** A payment request moves no money out, and repeating it returns the same one. */
const paymentRequestAnnotations: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};

interface PaymentRequestArgs {
  type: "payment" | "deposit";
  amountInCents?: number;
  orderId: string;
  currency: "USD";
  customerRefId?: string;
  redirectUrl?: string;
  /** Already serialised by the schema (see customMetadataArg). */
  customMetadata?: string;
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

/** The output shape both tools share. */
const createdPaymentOutput = {
  mode: modeOut,
  replayed: z.boolean().describe("SpacePay returned the one already made for this request"),
  paymentUrl: z.string(),
  payment: paymentRef,
};

/** What both tools declare alike: their output and their annotations. */
export const paymentRequestTool = {
  outputSchema: createdPaymentOutput,
  annotations: paymentRequestAnnotations,
};

/** Creates the payment or deposit and renders the tool result. */
export async function createPaymentRequest(
  ctx: ToolContext,
  args: PaymentRequestArgs,
): Promise<ToolResult<z.infer<z.ZodObject<typeof createdPaymentOutput>>>> {
  const res = await ctx.api.createPayment(
    {
      type: args.type,
      amountInCents: args.type === "payment" ? args.amountInCents : undefined,
      currency: args.currency,
      orderId: args.orderId,
      customerRefId: args.customerRefId,
      redirectUrl: args.redirectUrl,
      customMetadata: args.customMetadata,
    },
    // The guard's key: the only one (it already took the caller's idempotencyKey into account).
    { signal: ctx.signal, idempotencyKey: ctx.idempotencyKey },
  );
  const { paymentId, secret } = res.data;
  await ctx.secrets.put(paymentId, secret);
  // The payment is made whatever happens here: an index that cannot take it now gets it from its sync.
  await ctx.orderIndex
    ?.record({ ...res.data.payment, id: paymentId })
    .catch((err: Error) => log("warn", `order index: could not record ${paymentId}: ${err.message}`));
  const payment = paymentView(res.data.payment);
  const paymentUrl = safePaymentUrl(res.data.paymentUrl, secret);
  const { replayed, requestId } = res.meta;
  const noun = args.type;
  const headline = replayed
    ? `SpacePay returned the ${noun} already created for this request; no new ${noun} was made.`
    : `Created ${noun} ${paymentId}. Send the customer the payment link.`;
  return {
    structured: { mode: ctx.info.mode, replayed, paymentUrl, payment },
    text: `${headline}\n${paymentText(payment, { paymentUrl })}`,
    meta: { ids: { paymentId }, requestId, replayed },
  };
}
