// Payment and withdrawal status subscriptions on both protocol eras, over the one poll loop
// (payment-watch.ts), which webhook events wake:
// - 2025: resources/subscribe to spacepay://payments/{id} or spacepay://withdrawals/{id} on a stateful
//   session (stdio); each change
//   is sent as notifications/resources/updated until the payment is final or the client unsubscribes.
// - 2026-07-28: subscriptions/listen with `resourceSubscriptions`; the SDK's serving entry owns the
//   stream (acknowledgement, subscription id, filtering). The entry point tells `listenWatches` which
//   payment and withdrawal URIs each open stream listens to and publishes each change once; the SDK fans it out.
import { ProtocolError, ProtocolErrorCode, type Server } from "@modelcontextprotocol/server";
import type { PaymentStatus, SpacePayApi } from "../spacepay/types.js";
import { isFinalPaymentStatus } from "../spacepay/wire.js";
import { log } from "../log.js";
import { NotFoundError } from "../spacepay/errors.js";
import { quoteText } from "../text.js";
import {
  readStatus,
  WatchLimitError,
  watchKey,
  type ObjectKind,
  type PaymentWatcher,
} from "./payment-watch.js";
import { subscribableObject } from "./resources.js";
import { callerApi } from "./call-log.js";

export interface Subscriptions {
  close(): void;
  /** How many payments are being watched (for tests and the account resource). */
  size(): number;
}

/** Sends `send(uri)` on each status change of the object `uri` names, until `signal` aborts or it is final. */
function watchChanges(
  watcher: PaymentWatcher,
  { kind, id }: { kind: ObjectKind; id: string },
  uri: string,
  from: PaymentStatus | null,
  signal: AbortSignal,
  send: (uri: string) => void,
  onEnd: () => void,
): void {
  let last = from;
  watcher.watch(
    id,
    {
      onStatus(status) {
        if (last !== null && status !== last) send(uri);
        last = status;
        if (isFinalPaymentStatus(status)) onEnd();
      },
      onError(err) {
        if (err instanceof NotFoundError) onEnd();
      },
    },
    signal,
    kind,
  );
}

/** 2025 resources/subscribe and resources/unsubscribe on a stateful session. */
export function registerSubscriptions(
  server: Server,
  api: SpacePayApi,
  watcher: PaymentWatcher,
): Subscriptions {
  const watches = new Map<string, AbortController>();

  const stop = (uri: string) => {
    watches.get(uri)?.abort();
    watches.delete(uri);
  };

  server.registerCapabilities({ resources: { subscribe: true } });
  server.setRequestHandler("resources/subscribe", async (req, ctx) => {
    const { uri } = req.params;
    const object = subscribableObject(uri);
    if (object === null) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Only spacepay://payments/{paymentId} and spacepay://withdrawals/{withdrawalId} can be subscribed to, not ${uri}`,
      );
    }
    if (watches.has(uri)) return {};
    // Counted among the caller's watches from now on (so a burst of subscribes cannot pass the limit
    // while their look-ups are in flight); released below unless the watch starts.
    const leave = new AbortController();
    try {
      watcher.hold([watchKey(object.kind, object.id)], leave.signal);
    } catch (err) {
      throw err instanceof WatchLimitError ? limitError(err) : err;
    }
    let status: PaymentStatus;
    try {
      // Checked first: a subscription to a payment that does not exist would poll a 404 forever.
      status = await currentStatus(callerApi(api, ctx), object);
    } catch (err) {
      leave.abort();
      throw err;
    }
    // A final payment will not change again, so there is nothing to poll for.
    if (isFinalPaymentStatus(status) || watches.has(uri)) {
      leave.abort();
      return {};
    }
    watches.set(uri, leave);
    const send = (u: string) =>
      void server.sendResourceUpdated({ uri: u }).catch((err: Error) => {
        log("debug", `resource update for ${u} not sent: ${err.message}`);
      });
    watchChanges(watcher, object, uri, status, leave.signal, send, () => {
      if (watches.get(uri) === leave) stop(uri);
    });
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

export interface ListenWatches {
  /**
   * An open subscriptions/listen stream (key: anything unique to it) of `caller` (the OAuth subject;
   * undefined: the shared caller) listening to these URIs; resolves once each payment's current status
   * is known (acknowledge the stream after that). Throws WatchLimitError, opening nothing, when the
   * stream would take its caller past the watch limit.
   */
  open(key: unknown, uris: readonly string[], caller?: string): Promise<void>;
  /** That stream closed or was cancelled. */
  close(key: unknown): void;
  closeAll(): void;
}

/**
 * 2026-07-28 listen streams in one serving entry: each payment URI any open stream lists is watched
 * once, and each change is published once (`publish`) for the SDK to deliver to every stream that
 * lists it. When the last stream listing a URI closes, its watch ends. `api` reads each payment's
 * baseline: the runtime gives it the budgeted view, as the watcher's (a listen is watch traffic).
 */
export function listenWatches(
  api: SpacePayApi,
  watcher: PaymentWatcher,
  publish: (uri: string) => void,
): ListenWatches {
  /** Each open stream's URIs, and what holds them among its caller's watches. */
  const streams = new Map<unknown, { uris: string[]; hold: AbortController }>();
  const watched = new Map<string, { listeners: number; leave: AbortController }>();

  const release = (uri: string) => {
    const w = watched.get(uri);
    if (!w || --w.listeners > 0) return;
    w.leave.abort();
    watched.delete(uri);
  };

  return {
    async open(key, uris, caller) {
      if (streams.has(key)) return;
      const mine = [...new Set(uris)].flatMap((uri) => {
        const object = subscribableObject(uri);
        return object ? [{ uri, object }] : [];
      });
      const hold = new AbortController();
      // A stream past the limit is refused whole, before any look-up.
      watcher.forCaller(caller).hold(
        mine.map(({ object }) => watchKey(object.kind, object.id)),
        hold.signal,
      );
      streams.set(key, { uris: mine.map(({ uri }) => uri), hold });
      const baselines: Promise<void>[] = [];
      for (const { uri, object } of mine) {
        const w = watched.get(uri);
        if (w) {
          w.listeners++;
          continue;
        }
        const leave = new AbortController();
        watched.set(uri, { listeners: 1, leave });
        // The status now is the baseline, read before the stream is acknowledged, so a change right
        // after the client hears the acknowledgement is published; a final or unknown payment has
        // nothing to watch. A stream closed before its turn in the budget costs no request.
        baselines.push(
          readStatus(api, object, { signal: leave.signal }).then(
            (status) => {
              if (isFinalPaymentStatus(status) || leave.signal.aborted) return;
              watchChanges(watcher, object, uri, status, leave.signal, publish, () => leave.abort());
            },
            (err: unknown) =>
              log("debug", `listen: cannot watch ${uri}`, {
                error: err instanceof Error ? err.name : String(err),
              }),
          ),
        );
      }
      await Promise.all(baselines);
    },
    close(key) {
      const stream = streams.get(key);
      if (!stream) return;
      for (const uri of stream.uris) release(uri);
      stream.hold.abort();
      streams.delete(key);
    },
    closeAll() {
      for (const key of [...streams.keys()]) this.close(key);
    },
  };
}

/** The protocol error for a watch past the caller's limit (a subscribe here, a listen at the edge). */
export function limitError(err: WatchLimitError): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Refused: ${err.message}`);
}

async function currentStatus(
  api: SpacePayApi,
  object: { kind: ObjectKind; id: string },
): Promise<PaymentStatus> {
  const what = `${object.kind} ${quoteText(object.id, 100)}`;
  try {
    return await readStatus(api, object);
  } catch (err) {
    if (err instanceof NotFoundError) {
      const finder =
        object.kind === "payment"
          ? "list_payments finds payments by order id"
          : "list_withdrawals lists them";
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `SpacePay has no ${what}, so there is nothing to watch. Check the id (${finder}).`,
      );
    }
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Could not look up ${what} to watch it (${err instanceof Error ? err.name : "error"}); try subscribing again.`,
    );
  }
}
