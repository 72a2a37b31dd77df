// A scripted HTTP server on 127.0.0.1 (random port) that records every request it receives, so
// client tests can assert exactly what was sent. close() also tears down hung connections.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path without the query string, as sent (still percent-encoded). */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when empty or not JSON. */
  json: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as given. */
  body?: unknown;
  /** Never answer (the test's timeout or abort must end the request). */
  hang?: boolean;
  /** Destroy the socket without answering (a connection reset). */
  reset?: boolean;
  /** Send headers and this much of the body, then stall. */
  stallAfterBytes?: number;
  /** Send headers, then one byte of body every this many ms, never finishing. */
  trickleMs?: number;
}

export type Handler = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface Loopback {
  /** e.g. http://127.0.0.1:54321 */
  url: string;
  requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** Answers with the given replies in order; the last one repeats. */
export function replies(...list: Reply[]): Handler {
  return (_req, i) => list[Math.min(i, list.length - 1)] ?? { status: 500 };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});

export async function startLoopback(
  handler: Handler = replies({ status: 200, body: {} }),
): Promise<Loopback> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const body = Buffer.concat(chunks).toString("utf8");
      let parsed: unknown;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        parsed = undefined;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        json: parsed,
      };
      const index = requests.push(recorded) - 1;
      Promise.resolve(current(recorded, index)).then(
        (reply) => send(res, reply),
        () => send(res, { status: 599, body: "handler failed" }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(h) {
      current = h;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.hang) return;
  if (reply.reset) {
    res.socket?.destroy();
    return;
  }
  const isText = typeof reply.body === "string";
  const payload =
    reply.body === undefined ? "" : isText ? (reply.body as string) : JSON.stringify(reply.body);
  const headers: Record<string, string> = {
    ...(reply.body !== undefined && !isText ? { "content-type": "application/json" } : {}),
    ...reply.headers,
  };
  if (reply.trickleMs !== undefined) {
    res.writeHead(reply.status ?? 200, { ...headers, "content-length": "1000000" });
    const timer = setInterval(() => res.write(" "), reply.trickleMs);
    res.on("close", () => clearInterval(timer));
    return;
  }
  if (reply.stallAfterBytes !== undefined) {
    res.writeHead(reply.status ?? 200, { ...headers, "content-length": String(Buffer.byteLength(payload)) });
    res.write(payload.slice(0, reply.stallAfterBytes));
    return;
  }
  res.writeHead(reply.status ?? 200, headers);
  res.end(payload);
}
