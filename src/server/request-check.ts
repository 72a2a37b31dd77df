// A request with missing or malformed params (`initialize` without protocolVersion, `resources/read`
// without a string uri, ...) answers -32602 with a short message naming the fields, instead of the
// SDK's -32603 (or -32602) carrying a raw zod dump, which tells a client author nothing to act on.
// SDK v2 parses requests itself before any handler runs, so the check sits at the edge: each
// transport entry (stdio here, HTTP in serve-http.ts) asks `paramsRefusal` about every inbound
// message before handing it to the SDK. The schemas are the SDK's own public spec schemas.
import {
  specTypeSchemas,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type Transport,
  type TransportSendOptions,
} from "@modelcontextprotocol/server";

type Issue = { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> };

/** The requests this server answers whose params have a shape to check, by method. */
const SCHEMAS = {
  initialize: "InitializeRequest",
  "tools/list": "ListToolsRequest",
  "tools/call": "CallToolRequest",
  "resources/list": "ListResourcesRequest",
  "resources/templates/list": "ListResourceTemplatesRequest",
  "resources/read": "ReadResourceRequest",
  "resources/subscribe": "SubscribeRequest",
  "resources/unsubscribe": "UnsubscribeRequest",
  "prompts/list": "ListPromptsRequest",
  "prompts/get": "GetPromptRequest",
  "completion/complete": "CompleteRequest",
  "logging/setLevel": "SetLevelRequest",
} as const satisfies Record<string, keyof typeof specTypeSchemas>;

/**
 * Methods the 2026-07-28 revision removed: on a request of that revision (one that carries the
 * envelope's protocol version) the SDK answers them method-not-found, as the revision requires.
 */
const REMOVED_IN_2026 = new Set([
  "initialize",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
]);

/** What a client must send, where the field names alone do not say it. */
const NEEDS: Partial<Record<keyof typeof SCHEMAS, string>> = {
  initialize: " (needs protocolVersion, capabilities and clientInfo {name, version})",
};

/** The -32602 answer to a request with malformed params, or null when `message` is anything else. */
export function paramsRefusal(message: unknown): JSONRPCErrorResponse | null {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return null;
  const m = message as { method?: unknown; id?: unknown };
  if (typeof m.id !== "string" && typeof m.id !== "number") return null;
  if (typeof m.method !== "string" || !Object.hasOwn(SCHEMAS, m.method)) return null;
  const method = m.method as keyof typeof SCHEMAS;
  const meta = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta;
  if (meta?.["io.modelcontextprotocol/protocolVersion"] !== undefined && REMOVED_IN_2026.has(method))
    return null;
  const checked = specTypeSchemas[SCHEMAS[method]]["~standard"].validate(message);
  if (checked instanceof Promise) return null; // the spec schemas are synchronous
  if (!checked.issues) return null;
  const fields = [
    ...new Set(
      (checked.issues as readonly Issue[]).map((i) =>
        (i.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join("."),
      ),
    ),
  ];
  return {
    jsonrpc: "2.0",
    id: m.id,
    error: {
      code: -32602,
      message: `${method}: missing or invalid ${fields.join(", ")}${NEEDS[method] ?? ""}`,
    },
  };
}

/**
 * `inner` with requests with malformed params answered here, before the SDK sees them; every other
 * message, and everything sent, passes through unchanged.
 */
export class ParamsCheckingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  /** Messages wait here, in order, while `observe` is busy with an earlier one. */
  private held: Promise<void> | null = null;

  /**
   * `observe` sees each inbound message that passes the check before the SDK does; when it returns a
   * promise, that message and the ones after it reach the SDK once it settles (still in order).
   * `observeSent` sees each message the SDK sends, before it is written.
   */
  constructor(
    private readonly inner: Transport,
    observe?: (message: JSONRPCMessage) => Promise<void> | void,
    private readonly observeSent?: (message: JSONRPCMessage) => void,
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const refusal = paramsRefusal(message);
      if (!refusal) {
        const deliver = () => this.onmessage?.(message, extra);
        if (this.held === null) {
          const busy = observe?.(message);
          if (!busy) return deliver();
          this.release(busy.then(deliver, deliver));
        } else {
          this.release(this.held.then(() => observe?.(message)).then(deliver, deliver));
        }
        return;
      }
      inner.send(refusal).catch((err: Error) => this.onerror?.(err));
    };
  }

  private release(next: Promise<void>): void {
    this.held = next;
    void next.then(() => {
      if (this.held === next) this.held = null;
    });
  }

  start(): Promise<void> {
    return this.inner.start();
  }
  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.observeSent?.(message);
    return this.inner.send(message, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
