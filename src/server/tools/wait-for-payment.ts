// wait_for_payment: wait until a payment's status changes (from its first read, or from `since`, the
// status the caller last saw) or is final, with progress notifications, listening to the shared poll
// loop (payment-watch.ts); stops at once when the call is cancelled. A 429
// from SpacePay slows it (Retry-After honoured), within its timeout, which covers the whole call.
import { z } from "zod";
import { defineTool } from "../tool.js";
import { PAYMENT_STATUS_MEANING } from "../render.js";
import { isFinalPaymentStatus, PAYMENT_STATUSES } from "../../spacepay/wire.js";
import type { PaymentStatus } from "../../spacepay/types.js";
import { defaultSleep, pause, rateLimitPauseMs } from "../../spacepay/retry.js";
import { keptSecret, modeOut, paymentIdArg, paymentSecretArg, READ_ONLY } from "./common.js";

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
    since: z
      .enum(PAYMENT_STATUSES)
      .optional()
      .describe("With until change: the status you last saw; any other ends the wait at once"),
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
    // One of the caller's watches for the whole call, refused before anything is read when it has no
    // room (waits on one payment count once).
    const held = new AbortController();
    ctx.watcher.hold([args.paymentId], held.signal);
    try {
      const started = ctx.now().getTime();
      const deadline = started + args.timeoutSeconds * 1000;
      const secret = args.paymentSecret ?? (await keptSecret(ctx, args.paymentId));
      // The payment-secret status route is meant for polling; without a secret the merchant route works too.
      const read = async () =>
        secret
          ? (await ctx.api.getPaymentStatus(args.paymentId, secret, { signal: ctx.signal })).data.status
          : (await ctx.api.getPayment(args.paymentId, { signal: ctx.signal })).data.status;
      let initial: PaymentStatus | undefined;
      for (let limited = 1; initial === undefined; limited++) {
        try {
          initial = await read();
        } catch (err) {
          // Rate limited: wait as asked and read again, while that still ends before the deadline.
          const pauseMs = rateLimitPauseMs(err, limited);
          if (pauseMs === null || pauseMs >= deadline - ctx.now().getTime()) throw err;
          await pause(defaultSleep, pauseMs, ctx.signal);
        }
      }
      let status = initial;
      // A stop ends the wait with the status so far, so its answer is not what holds the stop up.
      let stopped = false;
      // A change is from the status the caller last saw, when it says: one that came before this
      // call's first read is not missed.
      const from = args.since ?? initial;
      const done = () => (args.until === "change" ? status !== from : isFinalPaymentStatus(status));
      const progress = () =>
        ctx.progress(
          Math.floor((ctx.now().getTime() - started) / 1000),
          args.timeoutSeconds,
          `status ${status}`,
        );
      if (!done()) {
        await progress();
        // The shared poll loop reads the status; this call only listens until done, the deadline or a cancel.
        await new Promise<void>((resolve, reject) => {
          const leave = new AbortController();
          const finish = (err?: unknown) => {
            clearTimeout(timer);
            ctx.signal.removeEventListener("abort", onCancel);
            leave.abort();
            if (err === undefined) resolve();
            else reject(err instanceof Error ? err : new Error(String(err)));
          };
          const onCancel = () => finish(ctx.signal.reason ?? new Error("aborted"));
          const timer = setTimeout(() => finish(), Math.max(0, deadline - ctx.now().getTime()));
          ctx.signal.addEventListener("abort", onCancel, { once: true });
          if (ctx.signal.aborted) return onCancel();
          ctx.watcher.watch(
            args.paymentId,
            {
              secret,
              onStatus(s) {
                status = s;
                // A final status will not change again, so an `until: "change"` wait ends there too.
                if (done() || isFinalPaymentStatus(s)) finish();
                else void progress().catch(() => {});
              },
              onError: (err) => finish(err),
              onStop() {
                stopped = true;
                finish();
              },
            },
            leave.signal,
          );
        });
      }
      const waited = Math.round((ctx.now().getTime() - started) / 1000);
      const final = isFinalPaymentStatus(status);
      const timedOut = !done();
      const meaning = PAYMENT_STATUS_MEANING[status] ?? status;
      const text = stopped
        ? `Payment ${args.paymentId} is still ${status} (${meaning}) after ${waited}s; the server is stopping, so the wait ended early: call wait_for_payment again once it is back.`
        : timedOut
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
    } finally {
      held.abort();
    }
  },
});
