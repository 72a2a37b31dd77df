// Checks on each inbound request at the transport edge, before the SDK sees it (stdio through
// `CheckingTransport` here, HTTP in http/mcp-route.ts):
// - `paramsRefusal`: a request with missing or malformed params (`initialize` without
//   protocolVersion, `resources/read` without a string uri, ...) answers -32602 with a short message
//   naming the fields, instead of the SDK's -32603 (or -32602) carrying a raw zod dump, which tells
//   a client author nothing to act on. The schemas are the SDK's own public spec schemas.
// - `envelopeVersionCheck` (stdio): once a connection speaks 2026-07-28, every request must name that
//   version in its envelope, as HTTP checks each request; the SDK's stdio entry checks only the
//   opening one.
import {
  ProtocolError,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  specTypeSchemas,
  UnsupportedProtocolVersionError,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type Transport,
} from "@modelcontextprotocol/server";
import { TransportDecorator } from "./transport-decorator.js";

/** The stateless revision: a request of it names its version in `params._meta`. */
export const MODERN_VERSION = "2026-07-28";
/** Every revision this server speaks, newest first (the SDK's list stops at 2025-11-25). */
export const SUPPORTED_VERSIONS: readonly string[] = [MODERN_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS];
const VERSION_KEY = "io.modelcontextprotocol/protocolVersion";

/** Answers a request here instead of passing it on; null passes it. */
export type RequestCheck = (message: JSONRPCMessage) => JSONRPCErrorResponse | null;

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
  if (meta?.[VERSION_KEY] !== undefined && REMOVED_IN_2026.has(method)) return null;
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

type Envelope = { id?: unknown; method?: unknown; params?: { _meta?: Record<string, unknown> } };

function errorAnswer(id: string | number, error: ProtocolError): JSONRPCErrorResponse {
  return { jsonrpc: "2.0", id, error: { code: error.code, message: error.message, data: error.data } };
}

/**
 * stdio's era follows the SDK's opening rule: the first request other than a `server/discover`
 * probe decides it (an envelope naming 2026-07-28: modern; none: 2025). From then on, on a modern
 * connection, a request naming another version, or none, is answered -32022 with the supported
 * version, as HTTP answers it. `initialize` is left to the SDK, which answers it on a modern
 * connection already.
 */
export function envelopeVersionCheck(): RequestCheck {
  let era: "opening" | "modern" | "legacy" = "opening";
  return (message) => {
    const m = message as Envelope;
    if (typeof m.method !== "string" || (typeof m.id !== "string" && typeof m.id !== "number")) return null;
    const claimed = m.params?._meta?.[VERSION_KEY];
    if (era === "opening") {
      if (claimed === undefined || m.method === "initialize") era = "legacy";
      else if (claimed === MODERN_VERSION && m.method !== "server/discover") era = "modern";
      return null;
    }
    if (era === "legacy" || m.method === "initialize" || claimed === MODERN_VERSION) return null;
    return errorAnswer(
      m.id,
      claimed === undefined
        ? new ProtocolError(
            ProtocolErrorCode.UnsupportedProtocolVersion,
            `Unsupported protocol version: the request did not name one (send params._meta["${VERSION_KEY}"]: "${MODERN_VERSION}")`,
            { supported: [MODERN_VERSION] },
          )
        : new UnsupportedProtocolVersionError({ supported: [MODERN_VERSION], requested: String(claimed) }),
    );
  };
}

/** `inner` with each inbound request that fails one of `checks` answered here, before the SDK sees it. */
export class CheckingTransport extends TransportDecorator {
  constructor(
    inner: Transport,
    private readonly checks: readonly RequestCheck[],
  ) {
    super(inner);
  }

  protected override receive(message: JSONRPCMessage, pass: () => void): void {
    for (const check of this.checks) {
      const refusal = check(message);
      if (refusal) return this.answer(refusal);
    }
    pass();
  }
}
