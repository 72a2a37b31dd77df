// The /mcp route behind the edge (edge.ts): the body parsed, the caller's scopes checked, then each
// request served statelessly, one server per request: 2026-07-28 requests (per-request `_meta`
// envelope) to the SDK's `createMcpHandler`, which validates the envelope and the Mcp-Method /
// Mcp-Name headers; 2025-era ones to a stateless transport, JSON (or SSE when the call asked for
// progress), with a 2025 `notifications/cancelled` routed to the call in progress it names.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { createMcpHandler, isLegacyRequest, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/server";
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from "@modelcontextprotocol/node";
import type { SpacePayServer } from "../server/create-server.js";
import { MODERN_VERSION, paramsRefusal, SUPPORTED_VERSIONS } from "../server/request-check.js";
import { openHttpListen } from "../server/listen-streams.js";
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
  newServer: (principal?: Principal, era?: "legacy" | "modern") => SpacePayServer;
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

export function mcpRoute(opts: McpRouteOptions): McpRoute {
  // The request being handled (who calls, and the servers made for it, closed when its response is
  // done): the SDK's modern leg calls the factory itself, inside the request's async context.
  const made = new AsyncLocalStorage<{ servers: SpacePayServer[]; principal?: Principal }>();
  const newServer = (era: "legacy" | "modern") => {
    const store = made.getStore();
    const server = opts.newServer(store?.principal, era);
    store?.servers.push(server);
    return server;
  };
  const modernHandler = createMcpHandler(() => newServer("modern").mcp, {
    legacy: "reject",
    maxRequestBodySize: opts.bodyLimit,
    onerror: (err) => log("debug", `MCP request refused: ${err.message}`),
  });
  const modern = toNodeHandler(modernHandler, {
    maxRequestBodySize: opts.bodyLimit,
    onerror: (err) => log("error", `HTTP request failed: ${err.message}`),
  });
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
    principal: Principal | undefined,
  ) => {
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
    const server = newServer("legacy");
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
      const servers: SpacePayServer[] = [];
      res.on("close", () => {
        for (const server of servers) void server.close();
      });
      await made.run({ servers, principal }, async () => {
        if (await isLegacyRequest(await toWebRequest(req, parsed), parsed))
          await serveLegacy(req, res, parsed, principal);
        else {
          const refused =
            listens && (await openHttpListen(listens, res, parsed, opts.notAnAnswer, principal?.subject));
          if (refused) return reply(res, refused);
          await modern(req, res, parsed);
        }
      });
    },
    close: () => listens?.closeAll(),
  };
}
