// Argument and output schema pieces shared by several tools, and the payment-secret lookup.
import { z } from "zod";
import { registerSecret } from "../../log.js";
import { ToolInputError } from "../errors.js";
import type { ToolContext } from "../tool.js";
import type { PaymentView, QuoteView, WithdrawalView } from "../render.js";
import { MODES } from "../../domain.js";
import { PAYMENT_TYPES } from "../../spacepay/wire.js";
import { invisibleChar } from "../../text.js";

// customMetadata is converted here, by the schema, once (a money tool's `normalize` converts its
// chain): the guard's summary, the handler and the client all receive the same clean value, and a
// bad one is refused before the guard.

// ---- Arguments ----

/** Refuses text a person could not see: such a value would reach prompts and records looking like another. */
export function rejectInvisible(value: string, ctx: z.RefinementCtx): void {
  const found = invisibleChar(value);
  if (found)
    ctx.addIssue({
      code: "custom",
      message: `must not contain invisible or control characters (found ${found})`,
    });
}

export const paymentIdArg = z.string().trim().min(1).max(100).describe("SpacePay payment id (UUID)");

/** An order id or customer reference the model passes: 1–255 visible characters. */
export const referenceText = () => z.string().min(1).max(255).superRefine(rejectInvisible);

export const orderIdArg = referenceText().describe("Your order id (1–255 chars)");

export const currencyArg = z.literal("USD").default("USD").describe("Currency; only USD");

export const redirectUrlArg = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .superRefine(rejectInvisible)
  .optional()
  .describe("Where the customer lands after paying");

/** Metadata as the API takes it: a JSON string of at most 2048 characters (objects are serialised). */
export const customMetadataArg = z
  .union([z.record(z.string(), z.unknown()), z.string()])
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || typeof value === "string") return checkMetadataLength(value, ctx);
    let s: string;
    try {
      s = JSON.stringify(value);
    } catch {
      // A cycle cannot arrive as JSON; absurd nesting overflows the stack. Either way nothing is sent.
      ctx.addIssue({ code: "custom", message: "cannot be serialised as JSON (nested too deeply)" });
      return z.NEVER;
    }
    return checkMetadataLength(s, ctx);
  })
  .describe("Metadata: object or JSON string, ≤2048 chars serialised");

function checkMetadataLength(s: string | undefined, ctx: z.RefinementCtx): string | undefined {
  if (s !== undefined && s.length > 2048) {
    ctx.addIssue({
      code: "custom",
      message: `must be at most 2048 characters once serialised (got ${s.length})`,
    });
    return z.NEVER;
  }
  return s;
}

export const idempotencyKeyArg = z
  .string()
  .min(1)
  .max(255)
  .superRefine(rejectInvisible)
  .optional()
  .describe("Idempotency key (derived when omitted)");

export const confirmationTokenArg = z
  .string()
  .max(200)
  .optional()
  .describe("From confirmation_required, once the user approved");

export const chainArg = z
  .union([z.string().min(1).max(64), z.number().int().positive()])
  .describe("CAIP-2 (eip155:84532), numeric id or name (base-sepolia)");

export const paymentSecretArg = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .describe("Sensitive; only for payments created elsewhere");

export const limitArg = z.number().int().min(1).max(100).default(20).describe("Page size, 1–100");
export const offsetArg = z.number().int().min(0).default(0).describe("Items to skip");

/**
 * The secret this server kept for `paymentId` (SpacePay gave it to us, so it is masked in every log
 * line from now on, also after a restart that loaded it from disk).
 */
export async function keptSecret(ctx: ToolContext, paymentId: string): Promise<string | undefined> {
  const kept = await ctx.secrets.get(paymentId);
  registerSecret(kept);
  return kept;
}

/**
 * The payment secret for `paymentId`: the caller's, or the one this server kept. A caller's value is
 * never registered process-wide (it could be any text, e.g. an address that the audit must show):
 * the client masks it in that one call's request log and error text.
 */
export async function paymentSecretFor(
  ctx: ToolContext,
  paymentId: string,
  given: string | undefined,
): Promise<string> {
  if (given) return given;
  const kept = await keptSecret(ctx, paymentId);
  if (kept) return kept;
  throw new ToolInputError(
    "paymentSecret",
    "this server did not create that payment, so it has no payment secret for it. Pass `paymentSecret` (the `secret` SpacePay returned when the payment was created), or use get_payment, which needs only the merchant key",
    true,
  );
}

// ---- Output pieces ----

export const modeOut = z.enum(MODES);

export const quoteOut = z.object({
  id: z.string(),
  token: z.string(),
  chainId: z.string(),
  amountDue: z.string().nullable(),
  expectedAmountAsset: z.string(),
  decimals: z.number(),
  amountDueCents: z.number().nullable(),
  depositAddress: z.string().nullable(),
  contractAddress: z.string(),
  expiresAt: z.string(),
  status: z.string(),
});

// Nested objects inside payments and withdrawals are declared by their field names only: the full
// shapes would be repeated in four tools' output schemas, which every tools/list carries.
const receiptOut = z
  .looseObject({})
  .nullable()
  .describe("txHash, chainId, settledAmount, settledAmountUsd, senderAddress, timestamp");

export const paymentOut = z.object({
  id: z.string(),
  type: z.enum(PAYMENT_TYPES),
  status: z.string(),
  statusMeaning: z.string(),
  amountInCents: z.number().nullable(),
  amount: z.string().nullable(),
  amountDueCents: z.number().nullable(),
  merchantNetCents: z.number().nullable(),
  currency: z.string(),
  orderId: z.string().nullable(),
  createdAt: z.string(),
  depositAddress: z.string().nullable(),
  quotes: z.array(z.looseObject({})).describe("As create_quote's quote"),
  receipt: receiptOut,
});

export const withdrawalOut = z.object({
  id: z.string(),
  status: z.string(),
  statusMeaning: z.string(),
  amountInCents: z.number(),
  amount: z.string(),
  chainId: z.string(),
  recipientAddress: z.string(),
  orderId: z.string().nullable(),
  errorMessage: z.string().nullable(),
  createdAt: z.string(),
  receipt: receiptOut,
});

// Each view is defined once, by its function in ../render.ts; these checks fail the build when an
// advertised output shape above stops having exactly the view's fields, or stops accepting them.
type Matches<View, Out> = View extends Out
  ? keyof View extends keyof Out
    ? keyof Out extends keyof View
      ? true
      : false
    : false
  : false;
type Holds<T extends true> = T;
export type OutputShapesMatchViews = [
  Holds<Matches<QuoteView, z.input<typeof quoteOut>>>,
  Holds<Matches<PaymentView, z.input<typeof paymentOut>>>,
  Holds<Matches<WithdrawalView, z.input<typeof withdrawalOut>>>,
];

// get_payment and get_withdrawal declare the full shapes; other tools refer to them by name, so the
// shapes are not repeated in every tools/list.
export const paymentRef = z.looseObject({}).describe("As get_payment's payment");
export const withdrawalRef = z.looseObject({}).describe("As get_withdrawal's withdrawal");

export const pageOut = z.object({
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
  hasMore: z.boolean(),
  nextOffset: z.number().nullable(),
});

/** Annotations of a tool that only reads SpacePay data. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
} as const;
