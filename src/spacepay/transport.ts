// One HTTP exchange with SpacePay over undici: the lazily made connection pool, the per-attempt
// deadline, bounded body reading, and turning socket and timeout failures into typed errors.
import type { Agent, Dispatcher } from "undici";
import type { Scrub } from "./auth.js";
import { AbortedError, ConnectionError, NotConnectedError, SpacePayError, TimeoutError } from "./errors.js";

/** Error bodies beyond this are cut (kept for the log only); success bodies beyond MAX_BODY fail. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export type ResponseHeaders = Dispatcher.ResponseData["headers"];

/** What one attempt came to: an answer (of any status, body read) or a typed failure to get one. */
export type Attempt =
  | {
      kind: "response";
      status: number;
      /** A 2xx: decided here once, since it also picks the body cap. */
      ok: boolean;
      headers: ResponseHeaders;
      text: string;
      truncated: boolean;
    }
  | { kind: "failed"; error: SpacePayError };

export interface TransportOptions {
  origin: string;
  /** Connect, headers, body and whole-attempt timeout, each. */
  timeoutMs: number;
  /** Max sockets per origin for the undici Agent. */
  connections?: number;
}

// undici and Node error codes that mean the connection failed (worth retrying).
const CONNECTION_CODES = new Set([
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ETIMEDOUT",
]);
// Of those, the ones where the connection was never made, so not a byte of the request went out.
const NOT_CONNECTED_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

export class Transport {
  /** undici's connection pool, made on the first request: a session that never calls the API never loads undici. */
  private agent: Agent | null = null;
  private agentReady: Promise<Agent> | null = null;
  private closed = false;

  constructor(private readonly opts: TransportOptions) {}

  /** Closes the connection pool; in-flight requests finish first. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.agentReady) await (await this.agentReady).close();
  }

  /** One attempt; never throws: a failure to get an answer comes back as a typed error. */
  async exchange(
    method: "GET" | "POST",
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    scrub: Scrub,
  ): Promise<Attempt> {
    try {
      return await this.attempt(method, path, headers, body, signal);
    } catch (err) {
      return { kind: "failed", error: this.transportError(err, signal, scrub) };
    }
  }

  private loadAgent(): Promise<Agent> {
    // `default` is undici's module.exports, both in Node's CommonJS interop and in the esbuild bundle.
    return (this.agentReady ??= import("undici").then(async ({ default: { Agent } }) => {
      const agent = new Agent({
        connect: { timeout: this.opts.timeoutMs },
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        connections: this.opts.connections ?? null,
      });
      // Closed before the first request: requests fail as they would on a closed pool.
      if (this.closed) await agent.close();
      return (this.agent = agent);
    }));
  }

  /** One HTTP exchange, bounded by timeoutMs as a whole; the body is always read or destroyed. */
  private async attempt(
    method: "GET" | "POST",
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    // Loading undici (first request only) is not part of the exchange that the timeout bounds.
    const agent = this.agent ?? (await this.loadAgent());
    if (signal?.aborted) throw signal.reason;
    const attempt = new DispatchedAttempt();
    // The error is built only when the deadline fires: most attempts never need its stack trace.
    let timedOut: TimeoutError | null = null;
    const timer = setTimeout(() => {
      timedOut = new TimeoutError(`No complete response from SpacePay within ${this.opts.timeoutMs} ms.`, {
        retryable: true,
      });
      attempt.abort(timedOut);
    }, this.opts.timeoutMs);
    const onAbort = () => attempt.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      agent.dispatch({ origin: this.opts.origin, path, method, headers, body: body ?? null }, attempt);
      return await attempt.done;
    } catch (err) {
      // Whatever shape undici gives the abort, our own deadline firing means a timeout.
      if (timedOut && !signal?.aborted) throw timedOut;
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private transportError(err: unknown, signal: AbortSignal | undefined, scrub: Scrub): SpacePayError {
    if (signal?.aborted) return abortedError(err);
    if (err instanceof SpacePayError) return err;
    const code = errorCode(err);
    const detail = scrub(describe(err));
    if (code && TIMEOUT_CODES.has(code)) {
      return new TimeoutError(`SpacePay did not answer within ${this.opts.timeoutMs} ms (${code}).`, {
        retryable: true,
        code,
        cause: err,
      });
    }
    if (code && CONNECTION_CODES.has(code)) {
      const Cls = NOT_CONNECTED_CODES.has(code) ? NotConnectedError : ConnectionError;
      return new Cls(`Could not reach SpacePay at ${this.opts.origin}: ${detail}`, {
        retryable: true,
        code,
        cause: err,
      });
    }
    return new ConnectionError(`The request to SpacePay failed: ${detail}`, {
      retryable: false,
      code: code ?? null,
      cause: err,
    });
  }
}

export function abortedError(cause?: unknown): AbortedError {
  return new AbortedError("The request was cancelled.", { retryable: false, cause });
}

/**
 * One attempt as undici's dispatch handler: the answer's status and headers, and its body collected up
 * to the cap as it arrives. undici's request() would wrap each call in an AsyncResource and hand the
 * body over as a stream to read back (~2% of the HTTP server's CPU, and a stream per call on stdio).
 */
class DispatchedAttempt implements Dispatcher.DispatchHandler {
  readonly done: Promise<Attempt>;
  private settle!: (attempt: Attempt) => void;
  private fail!: (err: unknown) => void;
  private controller: Dispatcher.DispatchController | null = null;
  /** An abort asked for before undici started the request (it waits for a connection). */
  private pending: { reason: unknown } | null = null;
  private settled = false;
  private status = 0;
  private headers: ResponseHeaders = {};
  private cap = MAX_BODY_BYTES;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor() {
    this.done = new Promise<Attempt>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }

  /** Aborts once: the caller's abort or the deadline; undici then reports it through onResponseError. */
  abort(reason: unknown): void {
    if (this.settled) return;
    const why = reason ?? new Error("The request was aborted.");
    if (this.controller) this.controller.abort(why as Error);
    else this.pending ??= { reason: why };
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pending) controller.abort(this.pending.reason as Error);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: ResponseHeaders): void {
    if (status < 200) return; // an informational answer: the real one follows
    this.status = status;
    this.headers = headers;
    if (status >= 300) this.cap = MAX_ERROR_BODY_BYTES;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.size + chunk.length <= this.cap) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    // Over the cap: keep what fits, answer with it, and drop the rest with the connection.
    this.chunks.push(chunk.subarray(0, this.cap - this.size));
    this.finish(true);
    controller.abort(new Error("The response body is over the limit."));
  }

  onResponseEnd(): void {
    this.finish(false);
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.fail(err);
  }

  private finish(truncated: boolean): void {
    if (this.settled) return;
    this.settled = true;
    const ok = this.status >= 200 && this.status < 300;
    // Most API answers arrive in one chunk: decode it without copying it first.
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const text = bytes.toString("utf8");
    this.settle({ kind: "response", status: this.status, ok, headers: this.headers, text, truncated });
  }
}

/** The first value of a response header, or null. */
export function header(headers: ResponseHeaders, name: string): string | null {
  const v = headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

function errorCode(err: unknown): string | null {
  // undici sometimes wraps the socket error; the code may sit on the cause.
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
