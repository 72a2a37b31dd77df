// A harness's runtime served over Streamable HTTP on a loopback port, wired as `src/cli/serve.ts`
// wires it (a stateless server per request, for the request's caller and era; 2026-07-28 listen
// streams watched), so HTTP tests exercise the serving path the CLI runs rather than a copy of it.
import { request } from "node:http";
import type { OAuthGate } from "../../src/http/oauth.js";
import { serveHttp, type RunningHttp } from "../../src/http/serve-http.js";
import { listenWatches } from "../../src/server/subscriptions.js";
import { afterAll, beforeAll } from "vitest";
import { useHarness, type Harness, type HarnessOptions } from "./mcp-harness.js";

/** A 2025-06-18 initialize request as a raw HTTP client writes it, and the headers Streamable HTTP wants. */
export const RAW_INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
export const JSON_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

export interface ServeOptions {
  /** The bearer token every request must carry; none by default, as `--http` on loopback runs. */
  token?: string | null;
  /** OAuth access tokens instead of a bearer token. */
  oauth?: OAuthGate;
  /** The bind address; loopback by default. */
  host?: string;
  /** The port; a free one by default. */
  port?: number;
}

export function serveHarness(h: Harness, opts: ServeOptions = {}): Promise<RunningHttp> {
  return serveHttp({
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    allowedHosts: h.runtime.config.hostAllowList,
    limits: h.runtime.config,
    token: opts.token ?? null,
    oauth: opts.oauth,
    newServer: (principal, era, method) => h.runtime.newServer({ stateless: true, principal, era, method }),
    listenWatches: (publish) => listenWatches(h.runtime.background, h.runtime.watcher, publish),
    approvalPages: h.runtime.approvalPages,
    readiness: () => h.runtime.readiness(),
  });
}

/**
 * The suite's harness (see useHarness) served over HTTP with `serve` before its tests and closed after
 * them; `http` reads through to the running server.
 */
export function useServedHarness(
  opts: HarnessOptions = {},
  serve: ServeOptions = {},
): { h: Harness; http: RunningHttp } {
  const h = useHarness(opts);
  let current: RunningHttp | undefined;
  beforeAll(async () => {
    current = await serveHarness(h, serve);
  });
  afterAll(() => current?.close());
  const get = (): RunningHttp => {
    if (!current) throw new Error("useServedHarness: the server starts in beforeAll");
    return current;
  };
  const http: RunningHttp = {
    get url() {
      return get().url;
    },
    stopAccepting: () => get().stopAccepting(),
    answered: (boundMs) => get().answered(boundMs),
    close: () => get().close(),
  };
  return { h, http };
}

/**
 * One HTTP request through node:http, which (unlike fetch) sends the Host header it is given: a GET
 * without `body`, else a POST of `body` (a string as given, anything else as JSON).
 */
export function rawRequest(
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: body === undefined ? "GET" : "POST",
        headers,
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += String(d)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(typeof body === "string" ? body : JSON.stringify(body));
    req.end();
  });
}
