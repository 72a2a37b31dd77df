// Streamable HTTP at /mcp, stateless: each POST gets a fresh server over the shared runtime.
// Bound to loopback by default with Host and Origin checked against DNS rebinding. With
// SPACEPAY_MCP_HTTP_TOKEN set, every request must carry it as a bearer token; without it (loopback
// only, config enforces that) the runtime offers no money-moving tools (server/select-tools.ts).
// With OAuth (oauth.ts), each request's access token decides who calls and which tools it sees.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { SpacePayServer } from "../server/create-server.js";
import type { Principal } from "../domain.js";
import { log } from "../log.js";
// Types only: jose and the OAuth code load only when OAuth is configured (cli/serve.ts).
import type { OAuthGate } from "./oauth.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const MAX_BODY = 4 * 1024 * 1024;

export interface HttpOptions {
  host: string;
  port: number;
  /** Checked on every request when set; required off loopback and for money-moving tools. */
  token: string | null;
  /** OAuth access tokens instead of the shared token (config allows one or the other). */
  oauth?: OAuthGate | null;
  /** A server for one request; with OAuth, for the token's principal. */
  newServer: (principal?: Principal) => SpacePayServer;
}

export interface RunningHttp {
  url: string;
  /** Stops taking new connections and drops idle ones; requests in progress go on. */
  stopAccepting(): void;
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

function reject(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
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
  const loopback = LOOPBACK.has(opts.host.toLowerCase());

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const metadata = opts.oauth?.metadataPaths.includes(url.pathname);
    if (url.pathname !== "/mcp" && !metadata) return reject(res, 404, "Not found: the MCP endpoint is /mcp");

    // DNS rebinding: a page on another origin must not reach a loopback server through a name it controls.
    const host = hostOf(req.headers.host ?? "").toLowerCase();
    if (loopback && !LOOPBACK.has(host)) return reject(res, 403, "Forbidden: Host header not allowed");
    const origin = req.headers.origin;
    if (origin) {
      let originHost = "";
      try {
        originHost = new URL(origin).hostname.toLowerCase();
      } catch {
        return reject(res, 403, "Forbidden: malformed Origin");
      }
      const allowed = loopback
        ? LOOPBACK.has(originHost) || LOOPBACK.has(`[${originHost}]`)
        : originHost === host;
      if (!allowed) return reject(res, 403, "Forbidden: Origin not allowed");
    }
    if (metadata) {
      if (req.method !== "GET")
        return reject(res, 405, "Method not allowed: GET the metadata", { allow: "GET" });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(opts.oauth!.metadata));
    }
    let principal: Principal | undefined;
    if (opts.oauth) {
      const answer = await opts.oauth.authenticate(req.headers.authorization);
      if ("status" in answer) return reject(res, answer.status, answer.message, answer.headers);
      principal = answer;
    } else if (opts.token) {
      const auth = req.headers.authorization ?? "";
      const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      if (!sameToken(given, opts.token)) {
        return reject(res, 401, "Unauthorized: send Authorization: Bearer <SPACEPAY_MCP_HTTP_TOKEN>", {
          "www-authenticate": "Bearer",
        });
      }
    }
    if (req.method !== "POST") {
      // Stateless: no standalone SSE stream and no sessions to delete.
      return reject(res, 405, "Method not allowed: this server is stateless; POST JSON-RPC to /mcp", {
        allow: "POST",
      });
    }

    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return reject(res, 400, `Bad request: ${(err as Error).message}`);
    }
    // Before dispatch: a call beyond the token's scopes is an HTTP 403 the client can act on.
    const denied = principal && opts.oauth?.authorize(principal, body);
    if (denied) return reject(res, denied.status, denied.message, denied.headers);
    const server = opts.newServer(principal);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http = createHttpServer((req, res) => {
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
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        if (!http.listening) return resolve();
        http.close(() => resolve());
      }),
  };
}
