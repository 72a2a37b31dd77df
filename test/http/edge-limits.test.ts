// The HTTP edge against slow and greedy clients, over raw sockets: a refused request is answered
// from its headers and its connection closed, its body never read; a body past the limit is refused
// as it arrives; trickled headers, a silent connection and a trickled body are closed by the
// timeouts; connections past the caps are closed on arrival. Timeouts are short here (settings), so
// each wait is bounded; every wait is for an event, with a bound far above the timeout it expects.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { serveHarness } from "../helpers/http-harness.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";

const TOKEN = "edge-limits-token-0123456789";
const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;
const MAX_BODY = 2_048;
/** Far above the timeouts: a socket still open at this point was not closed by them. */
const BOUND_MS = 5_000;

interface Raw {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with the ms from connect to close; rejects after BOUND_MS. */
  closed: Promise<number>;
}

async function open(url: string, localAddress = "127.0.0.1"): Promise<Raw> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port), localAddress });
  let data = "";
  socket.on("data", (d) => (data += String(d)));
  socket.on("error", () => {}); // a reset is one way of being closed
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const start = Date.now();
  const closed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${BOUND_MS} ms`)), BOUND_MS);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
  closed.catch(() => {});
  return { socket, received: () => data, closed };
}

/** Writes `chunk` every `everyMs` until the socket closes. */
function trickle(raw: Raw, chunk: string, everyMs = 50): void {
  const timer = setInterval(() => {
    if (!raw.socket.destroyed) raw.socket.write(chunk);
  }, everyMs);
  raw.socket.once("close", () => clearInterval(timer));
}

const head = (headers: Record<string, string | number>) =>
  `POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("") +
  "\r\n";

/** A server configured by `env` (as `spacepay-mcp --http` with those variables), for one describe block. */
function serveWith(env: Record<string, string>): { url: () => string } {
  let h: Harness | undefined;
  let http: RunningHttp | undefined;
  beforeAll(async () => {
    h = await startHarness({ env: { SPACEPAY_MCP_HTTP: "true", ...env } });
    http = await serveHarness(h, { token: h.runtime.config.mcpHttpToken });
  });
  afterAll(async () => {
    await http?.close();
    await h?.close();
  });
  return { url: () => http!.url };
}

describe("the HTTP edge's timeouts and body limit", () => {
  const http = serveWith({
    SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
    SPACEPAY_MCP_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    SPACEPAY_MCP_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    SPACEPAY_MCP_HTTP_MAX_BODY_BYTES: String(MAX_BODY),
  });

  it("answers an unauthenticated request 401 from its headers and closes it, its body never sent", async () => {
    const raw = await open(http.url());
    raw.socket.write(head({ "content-length": 4 * 1024 * 1024 }));
    await raw.closed;
    expect(raw.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(raw.received()).toMatch(/connection: close/i);
  });

  it("refuses a body past the limit with 413: at once by its Content-Length, or as a chunked body arrives", async () => {
    const declared = await open(http.url());
    declared.socket.write(head({ authorization: `Bearer ${TOKEN}`, "content-length": MAX_BODY + 1 }));
    await declared.closed;
    expect(declared.received()).toMatch(/^HTTP\/1\.1 413 /);

    const chunked = await open(http.url());
    chunked.socket.write(head({ authorization: `Bearer ${TOKEN}`, "transfer-encoding": "chunked" }));
    const chunk = "x".repeat(1_000);
    trickle(chunked, `${chunk.length.toString(16)}\r\n${chunk}\r\n`, 10);
    await chunked.closed;
    expect(chunked.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(chunked.received()).toContain(`at most ${MAX_BODY} bytes`);
  });

  it("closes a client that trickles its headers", async () => {
    const raw = await open(http.url());
    raw.socket.write("POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    trickle(raw, "x-slow: 1\r\n");
    expect(await raw.closed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
  });

  it("closes a connection that sends nothing", async () => {
    const raw = await open(http.url());
    await raw.closed;
    expect(raw.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });

  it("closes an authenticated client that trickles its body", async () => {
    const raw = await open(http.url());
    raw.socket.write(head({ authorization: `Bearer ${TOKEN}`, "content-length": MAX_BODY }));
    trickle(raw, "x");
    expect(await raw.closed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(raw.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });
});

describe("the HTTP edge's connection caps", () => {
  const http = serveWith({
    SPACEPAY_MCP_HTTP_MAX_CONNECTIONS: "6",
    SPACEPAY_MCP_HTTP_MAX_CONNECTIONS_PER_CLIENT: "4",
  });

  it("closes connections past the cap per client address, then past the total, on arrival", async () => {
    // Loopback is 127.0.0.0/8: a second address is a second client.
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await open(http.url(), "127.0.0.1"));
    await first[4]!.closed;
    const second = [];
    for (let i = 0; i < 3; i++) second.push(await open(http.url(), "127.0.0.2"));
    // Four from the first address and two from the second make six, the total.
    await second[2]!.closed;
    // The ones within both caps are still served: an answer on each.
    const kept = [...first.slice(0, 4), ...second.slice(0, 2)];
    for (const raw of kept) {
      expect(raw.socket.destroyed).toBe(false);
      raw.socket.write("GET /other HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    }
    await Promise.all(kept.map((raw) => raw.closed));
    for (const raw of kept) expect(raw.received()).toMatch(/^HTTP\/1\.1 404 /);
  });
});
