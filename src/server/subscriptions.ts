// Resource subscriptions: while a client is subscribed to spacepay://payments/{id} and the payment is
// not final, poll it at a bounded interval and send notifications/resources/updated on each change.
// Only a payment SpacePay knows can be subscribed to; polling ends at a final status.
import { ProtocolError, ProtocolErrorCode, type Server } from "@modelcontextprotocol/server";
import type { PaymentStatus, SpacePayApi } from "../spacepay/types.js";
import { isFinalPaymentStatus } from "../spacepay/wire.js";
import { log } from "../log.js";
import { NotFoundError } from "../spacepay/errors.js";
import { quoteText } from "../text.js";

const PAYMENT_URI = /^spacepay:\/\/payments\/([^/?#]+)$/;
/** At most this many payments are watched at once per session. */
export const MAX_SUBSCRIPTIONS = 50;

interface Watch {
  timer: NodeJS.Timeout;
  last: PaymentStatus | null;
  busy: boolean;
}

export interface Subscriptions {
  close(): void;
  /** How many payments are being watched (for tests and the account resource). */
  size(): number;
}

export function registerSubscriptions(server: Server, api: SpacePayApi, intervalMs: number): Subscriptions {
  const watches = new Map<string, Watch>();

  const stop = (uri: string) => {
    const w = watches.get(uri);
    if (w) clearInterval(w.timer);
    watches.delete(uri);
  };

  const poll = async (uri: string, paymentId: string) => {
    const w = watches.get(uri);
    if (!w || w.busy) return;
    w.busy = true;
    try {
      const status = (await api.getPayment(paymentId)).data.status;
      if (!watches.has(uri)) return;
      if (w.last !== null && status !== w.last) {
        await server.sendResourceUpdated({ uri });
      }
      w.last = status;
      if (isFinalPaymentStatus(status)) stop(uri);
    } catch (err) {
      // Gone (deleted, or another merchant's after a key change): it will not come back.
      if (err instanceof NotFoundError) stop(uri);
      log("debug", `subscription poll for ${uri} failed`, {
        error: err instanceof Error ? err.name : String(err),
      });
    } finally {
      w.busy = false;
    }
  };

  server.registerCapabilities({ resources: { subscribe: true } });
  server.setRequestHandler("resources/subscribe", async (req) => {
    const { uri } = req.params;
    const m = PAYMENT_URI.exec(uri);
    if (!m || m[1] === "recent") {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Only spacepay://payments/{paymentId} can be subscribed to, not ${uri}`,
      );
    }
    if (watches.has(uri)) return {};
    const full = () =>
      new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `At most ${MAX_SUBSCRIPTIONS} payments can be watched at once`,
      );
    if (watches.size >= MAX_SUBSCRIPTIONS) throw full();
    const paymentId = decodeURIComponent(m[1] ?? "");
    // Checked first: a subscription to a payment that does not exist would poll a 404 forever.
    const status = await currentStatus(api, paymentId);
    // A final payment will not change again, so there is nothing to poll for.
    if (isFinalPaymentStatus(status) || watches.has(uri)) return {};
    if (watches.size >= MAX_SUBSCRIPTIONS) throw full();
    const timer = setInterval(() => void poll(uri, paymentId), intervalMs);
    timer.unref();
    watches.set(uri, { timer, last: status, busy: false });
    return {};
  });
  server.setRequestHandler("resources/unsubscribe", async (req) => {
    stop(req.params.uri);
    return {};
  });

  return {
    close: () => {
      for (const uri of [...watches.keys()]) stop(uri);
    },
    size: () => watches.size,
  };
}

async function currentStatus(api: SpacePayApi, paymentId: string): Promise<PaymentStatus> {
  try {
    return (await api.getPayment(paymentId)).data.status;
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `SpacePay has no payment ${quoteText(paymentId, 100)}, so there is nothing to watch. Check the id (list_payments finds payments by order id).`,
      );
    }
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Could not look up payment ${quoteText(paymentId, 100)} to watch it (${err instanceof Error ? err.name : "error"}); try subscribing again.`,
    );
  }
}
