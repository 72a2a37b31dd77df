// The /mcp route behind the edge (edge.ts): the body parsed, the caller's scopes checked, then each
// request served statelessly, one server per request: 2026-07-28 requests (per-request `_meta`
// envelope) to the SDK's `createMcpHandler`, which validates the envelope and the Mcp-Method /
// Mcp-Name headers; 2025-era ones to a stateless transport, JSON (or SSE when the call asked for
// progress), with a 2025 `notifications/cancelled` routed to the call in progress it names.
// This is the hot path: the era is classified from the Node request as it is (the SDK's
// `classifyInboundRequest`), and the SDK's fetch face is given a view of the Node request (an
// Exchange: method, headers, signal; the body goes parsed), which also names the request to the
// factory: no web Request built, no AsyncLocalStorage. A JSON answer's bytes are written as they are.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  classifyInboundRequest,
  createMcpHandler,
  PROTOCOL_VERSION_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import type { SpacePayServer } from "../server/create-server.js";
import { MODERN_VERSION, paramsRefusal, SUPPORTED_VERSIONS } from "../server/request-check.js";
import { isListenRequest, openHttpListen } from "../server/listen-streams.js";
import type { ListenWatches } from "../server/subscriptions.js";
import type { Principal } from "../domain.js";
import { log } from "../log.js";
import { answerError, type Accepted, type Refusal } from "./edge.js";
import type { OAuthGate } from "./oauth.js";

type RequestId = string | number | null;

export interface McpRouteOptions {
  /** The body limit the SDK is told about too. */
  bodyLimit: number;
  oauth?: OAuthGate | null;
  newServer: (principal?: Principal, era?: "legacy" | "modern", method?: string) => SpacePayServer;
  listenWatches?: (publish: (uri: string) => void) => ListenWatches;
  /** A response that is a stream (a listen), not an answer a stop waits for. */
  notAnAnswer: (res: ServerResponse) => void;
}

export interface McpRoute {
  handle(req: IncomingMessage, res: ServerResponse, accepted: Accepted): Promise<void>;
  /** Ends every listen stream's watches. */
  close(): void;
}

/**
 * A 2025-era request's MCP-Protocol-Version header, when sent, must name a 2025 revision. The refusal
 * lists every revision served (the SDK's 2025 transport would list only the 2025 ones); 2026-07-28
 * requests are the SDK's to check, envelope and header together.
 */
function legacyVersionRefusal(req: IncomingMessage): Refusal | null {
  const version = req.headers["mcp-protocol-version"];
  if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(String(version))) return null;
  return {
    status: 400,
    message: `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_VERSIONS.join(", ")}; a ${MODERN_VERSION} request also names it in params._meta["io.modelcontextprotocol/protocolVersion"])`,
  };
}

function acceptsSse(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

function wantsProgress(body: unknown): boolean {
  const meta = (body as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
  return meta?.progressToken !== undefined;
}

/** The id of a single JSON-RPC request; null for anything else (a batch, a notification, not JSON-RPC). */
function idOf(body: unknown): RequestId {
  const id = (body as { id?: unknown } | null)?.id;
  return !Array.isArray(body) && (typeof id === "string" || typeof id === "number") ? id : null;
}

/** The request id a single `notifications/cancelled` names; null for any other message. */
function cancelledId(body: unknown): RequestId {
  const message = body as { method?: unknown; id?: unknown; params?: { requestId?: unknown } } | null;
  if (Array.isArray(body) || message?.method !== "notifications/cancelled" || message.id !== undefined)
    return null;
  const id = message.params?.requestId;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

function reply(res: ServerResponse, message: unknown) {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(message));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** A JSON-RPC request, other than `initialize`, whose `params._meta` claims a protocol version. */
function claimsVersion(body: unknown): boolean {
  const m = body as {
    jsonrpc?: unknown;
    id?: unknown;
    method?: unknown;
    params?: { _meta?: unknown };
  } | null;
  const meta = m?.params?._meta;
  return (
    m?.jsonrpc === "2.0" &&
    (typeof m.id === "string" || typeof m.id === "number") &&
    typeof m.method === "string" &&
    m.method !== "initialize" &&
    typeof meta === "object" &&
    meta !== null &&
    PROTOCOL_VERSION_META_KEY in meta
  );
}

/** Whether the SDK takes `body` for a 2025-era request (isLegacyRequest's rule, without a Web Request). */
function isLegacy(req: IncomingMessage, body: unknown): boolean {
  // The SDK's rule (classifyRequestBody): such a request is 2026-07-28, served or refused by the SDK
  // itself, never 2025-era; so the hot path skips a classification the SDK repeats anyway.
  if (claimsVersion(body)) return false;
  const classified = classifyInboundRequest({
    httpMethod: req.method ?? "POST",
    protocolVersionHeader: header(req, "mcp-protocol-version"),
    mcpMethodHeader: header(req, "mcp-method"),
    mcpNameHeader: header(req, "mcp-name"),
    body,
  });
  return classified.kind === "legacy";
}

/** The Node request's headers as a web `Headers` is read (`get`, `has`, iteration), copied from nothing. */
class NodeHeaders {
  constructor(private readonly req: IncomingMessage) {}
  get(name: string): string | null {
    return header(this.req, name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.req.headers[name.toLowerCase()] !== undefined;
  }
  forEach(fn: (value: string, name: string) => void): void {
    for (const [name, value] of this) fn(value, name);
  }
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.req.headers).sort()) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }
}

/** What a request whose client is already gone is given: the SDK does not start it. */
const ABORTED = AbortSignal.abort();

/**
 * One exchange: the Node request as the SDK's fetch face reads it (its method, `headers.get` and
 * `signal`; the body goes parsed, so none is read), and what the factory needs to know of it. Not a
 * web Request: undici's constructor (URL parse, a headers copy, a signal following ours) was ~2.5% of
 * a call's CPU, for fields nothing reads. The conformance suites hold the SDK to what it reads.
 */
class Exchange {
  readonly method = "POST";
  readonly headers: NodeHeaders;
  /** The server the factory made for it (closed once the response is done). */
  server?: SpacePayServer;
  /** A listen stream's: aborted when its client goes away. */
  private listenEnds?: AbortController;
  private gone = false;
  constructor(
    private readonly req: IncomingMessage,
    readonly principal: Principal | undefined,
    /** The JSON-RPC method of its one message. */
    readonly mcpMethod: string | undefined,
    private readonly listen: boolean,
  ) {
    this.headers = new NodeHeaders(req);
  }
  /**
   * A listen stream lasts until its client goes, and the SDK's router ends it on this signal. Any
   * other exchange ends with its server, which `closed` closes when the client goes away: that aborts
   * the call in progress as the SDK would on a signal, without a controller, a following signal and
   * their listeners per request. One whose client is already gone is not started.
   */
  get signal(): AbortSignal | undefined {
    if (this.listen) return (this.listenEnds ??= new AbortController()).signal;
    return this.gone ? ABORTED : undefined;
  }
  get url(): string {
    const path = this.req.url ?? "/mcp";
    try {
      return new URL(`http://${this.req.headers.host ?? "localhost"}${path}`).href;
    } catch {
      // A Host that makes no URL (allowed off loopback).
      return new URL(`http://localhost${path}`).href;
    }
  }
  /** The response closed: its server is closed, and the exchange ended if it was not answered. */
  closed(res: ServerResponse): void {
    void this.server?.close();
    if (res.writableFinished) return;
    this.gone = true;
    this.listenEnds?.abort();
  }
}

/** A body's bytes as they come: a JSON answer is one chunk (Response.json), neither decoded nor re-encoded. */
async function bytesOf(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Writes the SDK's answer: a JSON body at once, an SSE stream as it comes (until the client goes). */
async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  res.writeHead(response.status, headers);
  if (response.body === null) return void res.end();
  if (!headers["content-type"]?.startsWith("text/event-stream"))
    return void res.end(await bytesOf(response.body));
  let gone = false;
  const closed = new Promise<void>((resolve) =>
    res.once("close", () => {
      gone = true;
      resolve();
    }),
  );
  try {
    for await (const chunk of response.body) {
      if (gone) break;
      if (!res.write(chunk))
        await Promise.race([new Promise((resolve) => res.once("drain", resolve)), closed]);
    }
  } catch {
    // The stream failed or the client left: whatever was written stands.
  }
  res.end();
}

export function mcpRoute(opts: McpRouteOptions): McpRoute {
  // The SDK's modern leg calls the factory itself, with the request it was given: our Exchange.
  const modernHandler = createMcpHandler(
    ({ requestInfo }) => {
      const exchange = requestInfo instanceof Exchange ? requestInfo : undefined;
      // A 2026-07-28 request is one message: its server needs only that method's handlers.
      const server = opts.newServer(exchange?.principal, "modern", exchange?.mcpMethod);
      if (exchange) exchange.server = server;
      return server.mcp;
    },
    {
      legacy: "reject",
      maxRequestBodySize: opts.bodyLimit,
      onerror: (err) => log("debug", `MCP request refused: ${err.message}`),
    },
  );
  const serveModern = async (res: ServerResponse, body: unknown, exchange: Exchange) => {
    let response: Response;
    try {
      response = await modernHandler.fetch(exchange as unknown as Request, { parsedBody: body });
    } catch (err) {
      log("error", `HTTP request failed: ${(err as Error).message}`);
      return answerError(res, { status: 500, code: -32603, message: "Internal server error" }, idOf(body));
    }
    await send(res, response);
  };
  // The SDK's bus delivers each published change to every open stream that lists the URI.
  const listens = opts.listenWatches?.((uri) => modernHandler.notify.resourceUpdated(uri));
  // 2025-era calls in progress, by caller and request id, so a `notifications/cancelled` (which the
  // client POSTs as a request of its own, to a server of its own) reaches the call it names. Without
  // sessions, only the caller (the OAuth subject; one shared identity otherwise) and the id tell calls
  // apart: when two calls in progress share both, the cancellation is ambiguous and is dropped.
  const legacyCalls = new Map<string, Set<() => void>>();
  const callKey = (principal: Principal | undefined, id: RequestId) =>
    JSON.stringify([principal?.subject ?? null, id]);
  const serveLegacy = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    exchange: Exchange,
  ) => {
    const { principal } = exchange;
    const badVersion = legacyVersionRefusal(req);
    if (badVersion) return answerError(res, badVersion, idOf(body));
    const cancelled = cancelledId(body);
    if (cancelled !== null) {
      const calls = legacyCalls.get(callKey(principal, cancelled));
      if (calls?.size === 1) for (const cancel of calls) cancel();
      else if (calls) log("debug", `ignored an ambiguous cancellation: ${calls.size} calls share its id`);
      res.writeHead(202).end();
      return;
    }
    const server = opts.newServer(principal, "legacy");
    exchange.server = server;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      // An SSE response, so progress reaches the client, when it asked for progress and accepts a
      // stream; a single JSON body otherwise (nothing else is sent before the result).
      enableJsonResponse: !(wantsProgress(body) && acceptsSse(req)),
    });
    const id = idOf(body);
    if (id !== null) {
      const key = callKey(principal, id);
      const calls = legacyCalls.get(key) ?? new Set();
      legacyCalls.set(key, calls);
      // Closing this request's own server aborts its one handler (the call's signal); the SDK sends no
      // answer to a cancelled request, so the response ends here, empty (an SSE stream just ends).
      const cancel = () => {
        void server.close();
        if (!res.headersSent) res.writeHead(202);
        res.end();
      };
      calls.add(cancel);
      res.on("close", () => {
        calls.delete(cancel);
        if (!calls.size && legacyCalls.get(key) === calls) legacyCalls.delete(key);
      });
    }
    await server.mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  return {
    async handle(req, res, { body, principal }) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch (err) {
        return answerError(res, {
          status: 400,
          code: -32700,
          message: `Bad request: ${(err as Error).message}`,
        });
      }
      // Before dispatch: a call beyond the token's scopes is an HTTP 403 the client can act on.
      const denied = principal && opts.oauth?.authorize(principal, parsed);
      if (denied) return answerError(res, denied, idOf(parsed), false, principal.subject);
      // Checked for both eras: the SDK would answer a zod dump (see server/request-check.ts).
      const refusal = paramsRefusal(parsed);
      if (refusal) return reply(res, refusal);
      const method = (parsed as { method?: unknown } | null)?.method;
      const listen = isListenRequest(parsed);
      const exchange = new Exchange(req, principal, typeof method === "string" ? method : undefined, listen);
      res.on("close", () => exchange.closed(res));
      if (isLegacy(req, parsed)) return serveLegacy(req, res, parsed, exchange);
      const refused =
        listens &&
        listen &&
        (await openHttpListen(listens, res, parsed, opts.notAnAnswer, principal?.subject));
      if (refused) return reply(res, refused);
      await serveModern(res, parsed, exchange);
    },
    close: () => listens?.closeAll(),
  };
}
