// Resource subscriptions: while a client is subscribed to spacepay://payments/{id} and the payment is
// not final, poll it at a bounded interval and send notifications/resources/updated on each change.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { PaymentStatus, SpacePayApi } from "../spacepay/types.js";
import { isFinalPaymentStatus } from "./render.js";
import { log } from "../log.js";

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
      log("debug", `subscription poll for ${uri} failed`, {
        error: err instanceof Error ? err.name : String(err),
      });
    } finally {
      w.busy = false;
    }
  };

  server.registerCapabilities({ resources: { subscribe: true } });
  server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    const { uri } = req.params;
    const m = PAYMENT_URI.exec(uri);
    if (!m || m[1] === "recent") {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Only spacepay://payments/{paymentId} can be subscribed to, not ${uri}`,
      );
    }
    if (watches.has(uri)) return {};
    if (watches.size >= MAX_SUBSCRIPTIONS) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `At most ${MAX_SUBSCRIPTIONS} payments can be watched at once`,
      );
    }
    const paymentId = decodeURIComponent(m[1] ?? "");
    const timer = setInterval(() => void poll(uri, paymentId), intervalMs);
    timer.unref();
    watches.set(uri, { timer, last: null, busy: false });
    void poll(uri, paymentId);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
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
