// The built HTTP server under 120 unauthenticated clients each sending a 4 MiB body at once: each is
// answered 401 from its headers and its connection closed, so no body is buffered and the server's
// resident memory stays within 50 MB of idle (it used to read every body first: +450 MB). The wait is
// for the server's 401s (its log line each), not for the clients' sockets: a client whose connection
// the server reset while it was still writing does not always see the close promptly.
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { afterAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { demoEnv, requireBuild, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";

const TOKEN = "edge-memory-token-0123456789";
const CLIENTS = 120;
const BODY = Buffer.alloc(4 * 1024 * 1024, "x");
const RSS_GROWTH_LIMIT = 50 * 1024 * 1024;
const BOUND_MS = 60_000;

/** The server process's resident set, in bytes. */
function rss(pid: number): number {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(status, "utf8"))![1]) * 1024;
  return Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) * 1024;
}

/** One client: headers without a token, then the whole body. */
function unauthenticatedUpload(url: URL): Socket {
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  socket.on("error", () => {}); // writing into a closed connection is expected
  socket.on("connect", () => {
    socket.write(
      `POST /mcp HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
        `content-length: ${BODY.length}\r\n\r\n`,
    );
    socket.write(BODY);
  });
  return socket;
}

/** Resolves true once the server has logged `count` 401s, false after BOUND_MS. */
function refused(server: HttpServer, count: number): Promise<boolean> {
  const seen = () => server.stderr().split("HTTP 401").length - 1 >= count;
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      clearTimeout(timer);
      server.child.stderr!.off("data", check);
      resolve(answer);
    };
    const check = () => seen() && done(true);
    const timer = setTimeout(() => done(false), BOUND_MS);
    server.child.stderr!.on("data", check);
    check();
  });
}

let server: HttpServer;
let dir: string;

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  dir = fileDir;
  // No order index backfill: it starts once the server listens, and its reads and writes would land
  // in the window this test measures the edge's memory in.
  server = await startHttpServer(
    demoEnv(dir, { SPACEPAY_MCP_HTTP_TOKEN: TOKEN, SPACEPAY_INDEX_BACKFILL_MAX: "0" }),
  );
});
afterAll(async () => {
  await server?.stop();
});

it(
  "120 unauthenticated 4 MiB bodies at once: memory stays within 50 MB of idle",
  async () => {
    const url = new URL(server.url);
    const pid = server.child.pid!;
    // Idle after serving: an authenticated request has loaded what a request needs.
    const init = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "m", version: "1" } },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(init.status).toBe(200);
    await init.text();
    const idle = rss(pid);

    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 20);
    const clients = Array.from({ length: CLIENTS }, () => unauthenticatedUpload(url));
    const allRefused = await refused(server, CLIENTS);
    clearInterval(sampler);
    for (const socket of clients) socket.destroy();
    peak = Math.max(peak, rss(pid));
    const grew = peak - idle;
    expect(grew, `peak rss grew ${Math.round(grew / 2 ** 20)} MB over idle`).toBeLessThan(RSS_GROWTH_LIMIT);
    expect(allRefused, `fewer than ${CLIENTS} answered 401 within ${BOUND_MS} ms`).toBe(true);
    // Still serving.
    const after = await fetch(url, { method: "POST", body: "{}", signal: AbortSignal.timeout(10_000) });
    expect(after.status).toBe(401);
  },
  BOUND_MS + 20_000,
);
