// The HTTP server's connection-level limits, each a setting (config's http* rows): how long a
// request may take to arrive (headers, then the whole request), how long an idle kept-alive
// connection stays, and how many connections are open at once, in total and per client address.
// A client that trickles its headers or body is closed by the timeouts; one that opens connections
// by the hundred is refused by the caps. The request edge (edge.ts) does the rest: a refused request
// is answered from its headers and its connection closed.
import { createServer, type RequestListener, type Server, type ServerOptions } from "node:http";
import type { Config } from "../config/index.js";

export type HttpLimits = Pick<
  Config,
  | "httpMaxBodyBytes"
  | "httpHeadersTimeoutMs"
  | "httpRequestTimeoutMs"
  | "httpKeepAliveTimeoutMs"
  | "httpMaxConnections"
  | "httpMaxConnectionsPerClient"
>;

/** A node:http server that enforces `limits` on every connection. */
export function limitedServer(limits: HttpLimits, listener: RequestListener): Server {
  const requestTimeout = limits.httpRequestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout; the request's is the outer bound.
  const headersTimeout = Math.min(limits.httpHeadersTimeoutMs, requestTimeout);
  const options: ServerOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: limits.httpKeepAliveTimeoutMs,
    // Node looks for expired requests only this often (30 s by default), so a timeout is late by up
    // to this much: a quarter of the shorter timeout, at most a second.
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(headersTimeout / 4))),
  };
  const server = createServer(options, listener);
  // Past it Node closes a new connection before it is handed to anyone.
  server.maxConnections = limits.httpMaxConnections;
  const perClient = new Map<string, number>();
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "";
    const open = (perClient.get(address) ?? 0) + 1;
    if (open > limits.httpMaxConnectionsPerClient) return void socket.destroy();
    perClient.set(address, open);
    socket.once("close", () => {
      const left = (perClient.get(address) ?? 1) - 1;
      if (left > 0) perClient.set(address, left);
      else perClient.delete(address);
    });
  });
  return server;
}
