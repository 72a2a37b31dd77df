// The HTTP edge as small composed steps: the checks every request passes (Host, Origin), then its
// route from a table (path, methods, who may call, body limit, handler). Everything a refusal needs
// is decided from the headers, before any body byte is read; a refused request's connection closes
// after the answer, so the rest of its body is never read. A route is one row: its own
// authentication (`anyone`, `bearerToken`, `oauthToken`, or a check of its own) and body limit.
import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server";
import type { Principal } from "../domain.js";
import { log } from "../log.js";
// Types only: the OAuth code loads only when OAuth is configured (cli/serve.ts).
import type { OAuthGate } from "./oauth.js";

/** An answer instead of the route's: a JSON-RPC error (id null: no body was read) with this status. */
export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
  /** The JSON-RPC error code; -32000 unless given. */
  code?: number;
  /** The route logs it itself (the webhook receiver's summary), so answerError does not. */
  logged?: boolean;
}

/** A check on the request's headers: a refusal, or null to go on. */
export type Check = (req: IncomingMessage) => Refusal | null;

/** Who calls, from the headers alone: a principal (OAuth), nobody in particular, or a refusal. */
export type Verdict = { principal?: Principal } | { refusal: Refusal };
export type Authenticate = (req: IncomingMessage) => Verdict | Promise<Verdict>;

/** What a route's handler gets: the body read within the route's limit, and who calls. */
export interface Accepted {
  body: Buffer;
  principal?: Principal;
}

export interface Route {
  /** Exact request paths; one ending in "/" is a prefix (every path under it). */
  paths: readonly string[];
  /** The methods it answers; any other is a 405 naming them. */
  methods: readonly string[];
  /**
   * Who may call, decided from the headers. A route whose proof is in the body (a webhook
   * signature) checks the headers it can here and verifies the body in its handler, under a small
   * `bodyLimit`.
   */
  auth: Authenticate;
  /** The most body bytes read (a longer body is a 413); 0 reads none. */
  bodyLimit: number;
  handle(req: IncomingMessage, res: ServerResponse, accepted: Accepted): Promise<void> | void;
  /** Told of each refusal the edge makes for this route (method, authentication, body too large). */
  refused?(refusal: Refusal): void;
  /** Told when the server stops: what the route holds back (a log summary) is written then. */
  close?(): void;
}

/** Writes a JSON-RPC error answer; with `close`, the connection ends after it (its body unread). */
export function answerError(
  res: ServerResponse,
  refusal: Refusal,
  id: string | number | null = null,
  close = false,
  caller?: string,
): void {
  // Each 401 and 403 at info, for whoever investigates access: the reason as the client was told it,
  // and the OAuth subject once the token is known. Never a credential: the messages name none.
  if ((refusal.status === 401 || refusal.status === 403) && !refusal.logged)
    log("info", `HTTP ${refusal.status}: ${refusal.message}`, {
      status: refusal.status,
      reason: refusal.message,
      caller: caller ?? null,
    });
  res.writeHead(refusal.status, {
    "content-type": "application/json",
    ...refusal.headers,
    ...(close && { connection: "close" }),
  });
  res.end(
    JSON.stringify({ jsonrpc: "2.0", error: { code: refusal.code ?? -32000, message: refusal.message }, id }),
  );
}

/** Writes a 200 JSON answer. */
export function answerJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A GET route: no body read. */
export function get(paths: readonly string[], auth: Authenticate, handle: Route["handle"]): Route {
  return { paths, methods: ["GET"], auth, bodyLimit: 0, handle };
}

/** A POST route reading at most `bodyLimit` bytes once `auth` let the caller in. */
export function post(
  paths: readonly string[],
  auth: Authenticate,
  bodyLimit: number,
  handle: Route["handle"],
): Route {
  return { paths, methods: ["POST"], auth, bodyLimit, handle };
}

// ---- checks ----

/**
 * DNS rebinding: on loopback, a page on another origin must not reach the server through a name it
 * controls. `allowed` is config's hostAllowList: the loopback names and any a proxy on this host
 * sends (IPv6 in brackets, as the SDK compares them).
 */
export function loopbackHost(allowedHosts: Iterable<string>): Check {
  const allowed = hostnames(allowedHosts);
  // The verdict depends on the header alone: each Host a client sends is parsed once.
  const verdict = remembered((host: string | undefined): Refusal | null => {
    const result = validateHostHeader(host, allowed);
    return result.ok ? null : { status: 403, message: `Forbidden: ${result.message}` };
  });
  return (req) => verdict(req.headers.host);
}

/**
 * `fn` remembering its answers for the first `size` arguments it sees (every request asks the same
 * few: its Host, its path), so a hot path does not parse them again; any later one is computed.
 */
function remembered<A, R>(fn: (arg: A) => R, size = 64): (arg: A) => R {
  const answers = new Map<A, R>();
  return (arg) => {
    if (answers.has(arg)) return answers.get(arg) as R;
    const answer = fn(arg);
    if (answers.size < size) answers.set(arg, answer);
    return answer;
  };
}

/**
 * A browser's Origin must be this server: bound to loopback, one of `allowedHosts` (as for Host);
 * elsewhere (null), the Host the request was sent to. A request without Origin (not from a browser)
 * passes.
 */
export function sameOrigin(allowedHosts: Iterable<string> | null): Check {
  const allowed = allowedHosts && hostnames(allowedHosts);
  return (req) => {
    const result = validateOriginHeader(req.headers.origin, allowed ?? [hostnameOf(req.headers.host)]);
    return result.ok ? null : { status: 403, message: `Forbidden: ${result.message}` };
  };
}

/** Names as a URL's hostname has them, which is what the SDK compares: lower case, IPv6 in brackets. */
function hostnames(names: Iterable<string>): string[] {
  return [...names].map((n) => (n.includes(":") && !n.startsWith("[") ? `[${n}]` : n).toLowerCase());
}

function hostnameOf(host: string | undefined): string {
  try {
    return new URL(`http://${host ?? ""}`).hostname;
  } catch {
    return "";
  }
}

// ---- authentication ----

/** No credentials asked for (the route is public, or decides for itself). */
export const anyone: Authenticate = () => ({});

function sameToken(given: string, expected: Buffer): boolean {
  const a = Buffer.from(given);
  return a.length === expected.length && timingSafeEqual(a, expected);
}

/**
 * A shared bearer token: SPACEPAY_MCP_HTTP_TOKEN, or `variable` for another route's. Its 401 says what to send, in the challenge's
 * error_description and in the body, so a client (the Inspector) does not mistake it for an OAuth
 * challenge and the person sees what is missing.
 */
export function bearerToken(token: string, variable = "SPACEPAY_MCP_HTTP_TOKEN"): Authenticate {
  const what = `send the token set in the server's ${variable} as Authorization: Bearer <token>`;
  const refusal: Refusal = {
    status: 401,
    message: `Unauthorized: this server takes a static bearer token, not OAuth: ${what}`,
    headers: {
      "www-authenticate": `Bearer realm="spacepay-mcp", error="invalid_token", error_description="${what}"`,
    },
  };
  const expected = Buffer.from(token);
  const accepted: Verdict = {};
  return (req): Verdict => {
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    return sameToken(given, expected) ? accepted : { refusal };
  };
}

/** An OAuth access token (oauth.ts); the principal is the token's. */
export function oauthToken(gate: OAuthGate): Authenticate {
  return async (req) => {
    const answer = await gate.authenticate(req.headers.authorization);
    return "status" in answer ? { refusal: answer } : { principal: answer };
  };
}

// ---- the body ----

class BodyTooLarge extends Error {}

/** A body being read: its chunks so far, its limit, and the promise to settle. */
interface Reading {
  chunks: Buffer[];
  size: number;
  limit: number;
  resolve(body: Buffer): void;
  reject(err: Error): void;
}

const READING = Symbol("the body being read");
type ReadingRequest = IncomingMessage & { [READING]?: Reading };

/**
 * Reads the body, refusing past `limit` bytes as they arrive (and at once when Content-Length says so).
 * Plain 'data' events, not an async iterator: this runs on every request, and the iterator's promise
 * per chunk cost more than the read; the listeners are shared, their state on the request, so a read
 * makes no closures. A refused body is read no further; its connection closes after the 413.
 */
function readBody(req: ReadingRequest, limit: number): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? 0) > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    req[READING] = { chunks: [], size: 0, limit, resolve, reject };
    req.on("data", onBodyData).on("end", onBodyEnd).on("error", bodyDone).on("close", onBodyClose);
  });
}

function bodyDone(this: ReadingRequest, err: Error | null): void {
  const reading = this[READING];
  if (!reading) return;
  this[READING] = undefined;
  this.off("data", onBodyData).off("end", onBodyEnd).off("error", bodyDone).off("close", onBodyClose);
  const { chunks, size } = reading;
  if (err) reading.reject(err);
  else reading.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
}

function onBodyData(this: ReadingRequest, chunk: Buffer): void {
  const reading = this[READING];
  if (!reading) return;
  reading.size += chunk.length;
  if (reading.size <= reading.limit) return void reading.chunks.push(chunk);
  this.pause();
  bodyDone.call(this, new BodyTooLarge());
}

function onBodyEnd(this: ReadingRequest): void {
  bodyDone.call(this, null);
}

/** Closed before its end: the client went away (or a timeout ended it) mid-body. */
function onBodyClose(this: ReadingRequest): void {
  bodyDone.call(this, new Error("the request ended before its body did"));
}

// ---- composition ----

/** The edge's answer instead of the route's (its route told, if it got that far); the connection then closes. */
function refuse(res: ServerResponse, refusal: Refusal, route?: Route): void {
  route?.refused?.(refusal);
  answerError(res, refusal, null, true);
}

/** Each request through `checks`, then its route: method, authentication, the body within its limit. */
export function edge(checks: readonly Check[], routes: readonly Route[]) {
  const pathOf = remembered((url: string) => new URL(url, "http://localhost").pathname);
  const byPath = new Map<string, Route>();
  for (const route of routes) for (const path of route.paths) byPath.set(path, route);
  const paths = [...byPath.keys()].join(", ");
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const check of checks) {
      const refusal = check(req);
      if (refusal) return refuse(res, refusal);
    }
    const path = pathOf(req.url ?? "/");
    const route = byPath.get(path) ?? [...byPath].find(([p]) => p.endsWith("/") && path.startsWith(p))?.[1];
    if (!route) return refuse(res, { status: 404, message: `Not found: this server answers ${paths}` });
    if (!route.methods.includes(req.method ?? "")) {
      const allow = route.methods.join(", ");
      const message = `Method not allowed: ${route.paths[0]} answers ${allow} only`;
      return refuse(res, { status: 405, message, headers: { allow } }, route);
    }
    const verdict = await route.auth(req);
    if ("refusal" in verdict) return refuse(res, verdict.refusal, route);
    let body: Buffer = Buffer.alloc(0);
    if (route.bodyLimit > 0) {
      try {
        body = await readBody(req, route.bodyLimit);
      } catch (err) {
        // The client went away (or Node's request timeout ended it) mid-body: nobody to answer.
        if (!(err instanceof BodyTooLarge)) return void res.destroy();
        const message = `Payload too large: at most ${route.bodyLimit} bytes`;
        return refuse(res, { status: 413, message }, route);
      }
    }
    await route.handle(req, res, { body, principal: verdict.principal });
  };
}
