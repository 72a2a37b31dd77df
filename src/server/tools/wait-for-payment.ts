// wait_for_payment: poll a payment until its status changes or is final, with progress
// notifications; stops at once when the call is cancelled.
import { z } from "zod";
import { defineTool, type ToolContext } from "../tool.js";
import { PAYMENT_STATUS_MEANING } from "../render.js";
import { isFinalPaymentStatus } from "../../spacepay/wire.js";
import { keptSecret, modeOut, paymentIdArg, paymentSecretArg, READ_ONLY } from "./common.js";
import type { PaymentStatus } from "../../spacepay/types.js";

export const waitForPayment = defineTool({
  name: "wait_for_payment",
  title: "Wait for payment",
  description:
    "Wait until a payment's status changes or is final (completed, failed, expired, cancelled), with progress.",
  inputSchema: {
    paymentId: paymentIdArg,
    until: z.enum(["final", "change"]).default("final").describe("final: a final status; change: any change"),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(120)
      .describe("Give up after this many seconds, ≤600"),
    paymentSecret: paymentSecretArg,
  },
  outputSchema: {
    mode: modeOut,
    id: z.string(),
    status: z.string(),
    statusMeaning: z.string(),
    initialStatus: z.string(),
    final: z.boolean(),
    timedOut: z.boolean(),
    waitedSeconds: z.number(),
  },
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const secret = args.paymentSecret ?? (await keptSecret(ctx, args.paymentId));
    // The payment-secret status route is meant for polling; without a secret the merchant route works too.
    const read = async (): Promise<PaymentStatus> =>
      secret
        ? (await ctx.api.getPaymentStatus(args.paymentId, secret, { signal: ctx.signal })).data.status
        : (await ctx.api.getPayment(args.paymentId, { signal: ctx.signal })).data.status;

    const started = ctx.now().getTime();
    const deadline = started + args.timeoutSeconds * 1000;
    const initial = await read();
    let status = initial;
    const done = () => (args.until === "change" ? status !== initial : isFinalPaymentStatus(status));
    while (!done() && ctx.now().getTime() < deadline) {
      const elapsed = (ctx.now().getTime() - started) / 1000;
      await ctx.progress(Math.floor(elapsed), args.timeoutSeconds, `status ${status}`);
      await sleep(Math.min(pollInterval(ctx), Math.max(0, deadline - ctx.now().getTime())), ctx.signal);
      status = await read();
    }
    const waited = Math.round((ctx.now().getTime() - started) / 1000);
    const final = isFinalPaymentStatus(status);
    const timedOut = !done();
    const meaning = PAYMENT_STATUS_MEANING[status] ?? status;
    const text = timedOut
      ? `Payment ${args.paymentId} is still ${status} (${meaning}) after ${waited}s; call wait_for_payment again to keep waiting.`
      : `Payment ${args.paymentId} is ${status} (${meaning})${status !== initial ? `, was ${initial}` : ""}; waited ${waited}s.`;
    return {
      structured: {
        mode: ctx.info.mode,
        id: args.paymentId,
        status,
        statusMeaning: meaning,
        initialStatus: initial,
        final,
        timedOut,
        waitedSeconds: waited,
      },
      text,
    };
  },
});

function pollInterval(ctx: ToolContext): number {
  return ctx.pollIntervalMs ?? 2000;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error("aborted"));
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
