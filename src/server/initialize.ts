// `initialize` with missing or malformed params answers -32602 with a short message naming the fields,
// instead of the SDK's -32603 carrying a raw zod dump (which tells a client author nothing to act on).
// SDK v2 parses `initialize` itself before any handler runs, so the check sits at the edge: each
// transport entry (stdio here, HTTP in serve-http.ts) asks `initializeRefusal` about every inbound
// message before handing it to the SDK.
import {
  specTypeSchemas,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type Transport,
  type TransportSendOptions,
} from "@modelcontextprotocol/server";

type Issue = { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> };

/** The -32602 answer to a malformed `initialize` request, or null when `message` is anything else. */
export function initializeRefusal(message: unknown): JSONRPCErrorResponse | null {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return null;
  const m = message as { method?: unknown; id?: unknown };
  if (m.method !== "initialize" || (typeof m.id !== "string" && typeof m.id !== "number")) return null;
  const checked = specTypeSchemas.InitializeRequest["~standard"].validate(message);
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
      message: `initialize: missing or invalid ${fields.join(", ")} (needs protocolVersion, capabilities and clientInfo {name, version})`,
    },
  };
}

/**
 * `inner` with malformed `initialize` requests answered here, before the SDK sees them; every other
 * message, and everything sent, passes through unchanged.
 */
export class InitializeCheckingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  constructor(private readonly inner: Transport) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const refusal = initializeRefusal(message);
      if (!refusal) return this.onmessage?.(message, extra);
      inner.send(refusal).catch((err: Error) => this.onerror?.(err));
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }
  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
