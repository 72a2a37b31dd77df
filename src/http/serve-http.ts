// Streamable HTTP at /mcp, stateless: each POST gets a fresh server over the shared runtime.
// Bound to loopback by default with Host and Origin checked against DNS rebinding. With
// SPACEPAY_MCP_HTTP_TOKEN set, every request must carry it as a bearer token; without it (loopback
// only, config enforces that) the runtime offers no money-moving tools (server/select-tools.ts).
// With OAuth (oauth.ts), each request's access token decides who calls and which tools it sees.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { AsyncLocalStorage } from "node:async_hooks";
import { createMcpHandler, isLegacyRequest } from "@modelcontextprotocol/server";
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from "@modelcontextprotocol/node";
import type { SpacePayServer } from "../server/create-server.js";
import { InFlight } from "../server/in-flight.js";
import { paramsRefusal } from "../server/request-check.js";
import { listenEvent, type ListenWatches } from "../server/subscriptions.js";
import type { Principal } from "../domain.js";
import { log } from "../log.js";
import { LOOPBACK_HOSTS } from "../config/index.js";
// Types only: jose and the OAuth code load only when OAuth is configured (cli/serve.ts).
import type { OAuthGate } from "./oauth.js";

const MAX_BODY = 4 * 1024 * 1024;

export interface HttpOptions {
  host: string;
  port: number;
  /** Bound to loopback, the host names a request's Host and Origin may carry (config's hostAllowList). */
  allowedHosts: ReadonlySet<string>;
  /** Checked on every request when set; required off loopback and for money-moving tools. */
  token: string | null;
  /** OAuth access tokens instead of the shared token (config allows one or the other). */
  oauth?: OAuthGate | null;
  /**
   * A server for one request; with OAuth, for the token's principal; `era` as the SDK classified the
   * request (2026-07-28 `modern`, or `legacy`).
   */
  newServer: (principal?: Principal, era?: "legacy" | "modern") => SpacePayServer;
  /** Watches for 2026-07-28 listen streams, publishing each payment change with `publish`. */
  listenWatches?: (publish: (uri: string) => void) => ListenWatches;
}

export interface RunningHttp {
  url: string;
  /** Stops taking new connections and drops idle ones; requests in progress go on. */
  stopAccepting(): void;
  /**
   * Resolves once every request in progress has its response ended and handed to the OS (listen
   * streams aside: they stay open until close), or after `boundMs`; with how many are left.
   */
  answered(boundMs: number): Promise<number>;
  /** Ends every connection, in progress or not. */
  close(): Promise<void>;
}

function hostOf(header: string): string {
  // "[::1]:3000" → "[::1]", "localhost:3000" → "localhost"
  if (header.startsWith("[")) return header.slice(0, header.indexOf("]") + 1);
  const i = header.lastIndexOf(":");
  return i === -1 ? header : header.slice(0, i);
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

type RequestId = string | number | null;

function reject(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  id: RequestId = null,
  code = -32000,
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id }));
}

/** Each 401 and 403 at info, for whoever investigates access: the reason as the client was told it, and
 * the OAuth subject once the token is known. Never a credential: the messages name none. */
function logDenied(status: number, reason: string, caller?: string): void {
  if (status === 401 || status === 403)
    log("info", `HTTP ${status}: ${reason}`, { status, reason, caller: caller ?? null });
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

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export async function serveHttp(opts: HttpOptions): Promise<RunningHttp> {
  const loopback = LOOPBACK_HOSTS.has(opts.host.toLowerCase());
  // The request being handled (who calls, and the servers made for it, closed when its response is
  // done): the SDK's modern leg calls the factory itself, inside the request's async context.
  const made = new AsyncLocalStorage<{ servers: SpacePayServer[]; principal?: Principal }>();
  const newServer = (era: "legacy" | "modern") => {
    const store = made.getStore();
    const server = opts.newServer(store?.principal, era);
    store?.servers.push(server);
    return server;
  };
  // 2026-07-28 requests (per-request `_meta` envelope) go to the SDK's handler, which validates the
  // envelope and the Mcp-Method / Mcp-Name headers; 2025-era requests to a stateless transport with
  // JSON responses, one server per request, as before.
  const modernHandler = createMcpHandler(() => newServer("modern").mcp, {
    legacy: "reject",
    maxRequestBodySize: MAX_BODY,
    onerror: (err) => log("debug", `MCP request refused: ${err.message}`),
  });
  const modern = toNodeHandler(modernHandler, {
    maxRequestBodySize: MAX_BODY,
    onerror: (err) => log("error", `HTTP request failed: ${err.message}`),
  });
  // A listen stream is one response: its watches end when the response closes. The SDK's bus
  // delivers each published change to every open stream that lists the URI.
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

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // Read at once (within the size limit): a refusal below carries the request's id, as every JSON-RPC
    // error must, when the body is one request that parses.
    const body = req.method === "POST" ? readJson(req) : Promise.resolve(undefined);
    body.catch(() => {});
    const refuse = async (status: number, message: string, headers: Record<string, string> = {}) => {
      logDenied(status, message);
      reject(res, status, message, headers, idOf(await body.catch(() => null)));
    };
    const url = new URL(req.url ?? "/", "http://localhost");
    const metadata = opts.oauth?.metadataPaths.includes(url.pathname);
    if (url.pathname !== "/mcp" && !metadata) return refuse(404, "Not found: the MCP endpoint is /mcp");

    // DNS rebinding: a page on another origin must not reach a loopback server through a name it controls.
    const host = hostOf(req.headers.host ?? "").toLowerCase();
    if (loopback && !opts.allowedHosts.has(host)) return refuse(403, "Forbidden: Host header not allowed");
    const origin = req.headers.origin;
    if (origin) {
      let originHost = "";
      try {
        originHost = new URL(origin).hostname.toLowerCase();
      } catch {
        return refuse(403, "Forbidden: malformed Origin");
      }
      const allowed = loopback
        ? opts.allowedHosts.has(originHost) || opts.allowedHosts.has(`[${originHost}]`)
        : originHost === host;
      if (!allowed) return refuse(403, "Forbidden: Origin not allowed");
    }
    if (metadata) {
      if (req.method !== "GET") return refuse(405, "Method not allowed: GET the metadata", { allow: "GET" });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(opts.oauth!.metadata));
    }
    let principal: Principal | undefined;
    if (opts.oauth) {
      const answer = await opts.oauth.authenticate(req.headers.authorization);
      if ("status" in answer) return refuse(answer.status, answer.message, answer.headers);
      principal = answer;
    } else if (opts.token) {
      const auth = req.headers.authorization ?? "";
      const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      if (!sameToken(given, opts.token)) {
        return refuse(401, "Unauthorized: send Authorization: Bearer <SPACEPAY_MCP_HTTP_TOKEN>", {
          "www-authenticate": "Bearer",
        });
      }
    }
    if (req.method !== "POST") {
      // Stateless: no standalone SSE stream and no sessions to delete.
      return refuse(405, "Method not allowed: this server is stateless; POST JSON-RPC to /mcp", {
        allow: "POST",
      });
    }

    let parsed: unknown;
    try {
      parsed = await body;
    } catch (err) {
      return reject(res, 400, `Bad request: ${(err as Error).message}`, {}, null, -32700);
    }
    // Before dispatch: a call beyond the token's scopes is an HTTP 403 the client can act on.
    const denied = principal && opts.oauth?.authorize(principal, parsed);
    if (denied) {
      logDenied(denied.status, denied.message, principal?.subject);
      return reject(res, denied.status, denied.message, denied.headers, idOf(parsed));
    }
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
        const event = listens && listenEvent(parsed);
        if (event && "open" in event) {
          // A stream, open until the client or the stop ends it: not an answer a stop waits for.
          inFlight.done(res);
          res.on("close", () => listens.close(res));
          await listens.open(res, event.uris);
        }
        await modern(req, res, parsed);
      }
    });
  };

  // Every response from its request's arrival until it is finished (handed to the OS) or its
  // connection is gone: closing the connections before then would lose a money call's answer.
  const inFlight = new InFlight<ServerResponse>();
  const http = createHttpServer((req, res) => {
    inFlight.add(res);
    res.once("close", () => inFlight.done(res));
    handle(req, res).catch((err) => {
      log("error", `HTTP request failed: ${(err as Error).message}`);
      if (!res.headersSent) reject(res, 500, "Internal error");
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  const shownHost = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    stopAccepting: () => {
      http.close();
      http.closeIdleConnections();
    },
    answered: (boundMs) => inFlight.settled(boundMs),
    close: () =>
      new Promise<void>((resolve) => {
        listens?.closeAll();
        http.closeAllConnections();
        if (!http.listening) return resolve();
        http.close(() => resolve());
      }),
  };
}
