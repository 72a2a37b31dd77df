// 2026-07-28 listen streams at each transport's edge, in one place. The SDK answers
// `subscriptions/listen` and delivers the changes; what the edge adds is starting the payment
// watches a stream lists (subscriptions.ts `listenWatches`) before the SDK acknowledges it, and
// ending them when the stream ends. A listen is not an answer a graceful stop waits for. A listen
// past its caller's watch limit (SPACEPAY_MAX_WATCHES_PER_CALLER) is answered here with the refusal,
// and the SDK never sees it.
// - stdio (`ListenStreamsTransport`): several streams on one connection, keyed by request id; a
//   `notifications/cancelled` of that id, or the SDK's error answer to it, ends one.
// - HTTP (`openHttpListen`): the stream is the response; its close ends it.
import {
  specTypeSchemas,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type Transport,
} from "@modelcontextprotocol/server";
import { limitError, type ListenWatches } from "./subscriptions.js";
import { WatchLimitError } from "./payment-watch.js";
import { TransportDecorator } from "./transport-decorator.js";

const LISTEN = "subscriptions/listen";

/** A listen request: its answer is a stream, open until the client or the stop ends it. */
export function isListenRequest(message: unknown): boolean {
  return (message as { method?: unknown } | null)?.method === LISTEN;
}

/**
 * What an inbound 2026-07-28 message means for listen streams: a `subscriptions/listen` request
 * opens one (keyed by its id) with its resource URIs, a `notifications/cancelled` of that id closes
 * it. Null for anything else.
 */
export function listenEvent(
  message: unknown,
): { open: string | number; uris: string[] } | { close: string | number } | null {
  const m = message as {
    method?: unknown;
    id?: unknown;
    params?: {
      requestId?: unknown;
      notifications?: { resourceSubscriptions?: unknown };
      _meta?: Record<string, unknown>;
    };
  } | null;
  if (typeof m !== "object" || m === null || Array.isArray(m)) return null;
  if (m.method === "notifications/cancelled") {
    const id = m.params?.requestId;
    return typeof id === "string" || typeof id === "number" ? { close: id } : null;
  }
  if (m.method !== LISTEN) return null;
  if (typeof m.id !== "string" && typeof m.id !== "number") return null;
  if (m.params?._meta?.["io.modelcontextprotocol/protocolVersion"] === undefined) return null;
  // A request the SDK will refuse for its shape opens nothing (not even a baseline lookup); what it
  // refuses for other reasons (version, limits) the edge closes when the refusal goes out.
  const checked = specTypeSchemas.SubscriptionsListenRequest["~standard"].validate(message);
  if (checked instanceof Promise || checked.issues) return null;
  const uris = m.params.notifications?.resourceSubscriptions;
  if (!Array.isArray(uris)) return null;
  return { open: m.id, uris: uris.filter((u): u is string => typeof u === "string") };
}

/** The answer to listen `id` when its watches would pass the caller's limit; null for any other failure. */
function refusal(id: string | number, err: unknown): JSONRPCErrorResponse | null {
  if (!(err instanceof WatchLimitError)) return null;
  const { code, message } = limitError(err);
  return { jsonrpc: "2.0", id, error: { code, message } };
}

/**
 * stdio (one caller): a listen's watches open before the SDK sees it (the baseline must precede the
 * acknowledgement; later messages wait, in order). When the SDK refuses it instead (a version it
 * does not serve, its stream limit), its error answer to that id ends them: an open listen's id is
 * in use until it closes, so an error with that id can only be about the listen.
 */
export class ListenStreamsTransport extends TransportDecorator {
  constructor(
    inner: Transport,
    private readonly listens: ListenWatches,
  ) {
    super(inner);
  }

  protected override receive(message: JSONRPCMessage, pass: () => void): Promise<void> | void {
    const event = listenEvent(message);
    if (event && "open" in event) {
      const { open } = event;
      return this.listens.open(open, event.uris).then(pass, (err: unknown) => {
        const refused = refusal(open, err);
        if (refused) this.answer(refused);
        else pass();
      });
    }
    if (event) this.listens.close(event.close);
    pass();
  }

  override send(message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]): Promise<void> {
    if ("error" in message && message.id !== undefined) this.listens.close(message.id);
    return super.send(message, options);
  }
}

/**
 * HTTP: when `message` is a listen of `caller` (the OAuth subject; undefined: the shared caller),
 * opens its watches (resolving once their baselines are read), ends them when `response` closes, and
 * calls `notAnAnswer` so a stop does not wait for the stream. Resolves to the refusal to answer
 * instead when the listen would pass the caller's watch limit; null otherwise, and for any other
 * message.
 */
export async function openHttpListen<R extends { once(event: "close", listener: () => void): unknown }>(
  listens: ListenWatches,
  response: R,
  message: unknown,
  notAnAnswer: (response: R) => void,
  caller?: string,
): Promise<JSONRPCErrorResponse | null> {
  const event = listenEvent(message);
  if (!event || !("open" in event)) return null;
  notAnAnswer(response);
  response.once("close", () => listens.close(response));
  try {
    await listens.open(response, event.uris, caller);
  } catch (err) {
    const refused = refusal(event.open, err);
    if (refused) return refused;
    throw err;
  }
  return null;
}
