// One HTTP exchange with SpacePay over undici: the lazily made connection pool, the per-attempt
// deadline, bounded body reading, and turning socket and timeout failures into typed errors.
import { EventEmitter } from "node:events";
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
    // What undici listens to for this attempt: the caller's abort or our deadline. undici takes an
    // EventEmitter as well as an AbortSignal; an AbortController would cost a new AbortSignal (an
    // EventTarget, several microseconds in Node 20) on every attempt of every call.
    const abort = new AttemptAbort();
    // The error is built only when the deadline fires: most attempts never need its stack trace.
    let timedOut: TimeoutError | null = null;
    const timer = setTimeout(() => {
      timedOut = new TimeoutError(`No complete response from SpacePay within ${this.opts.timeoutMs} ms.`, {
        retryable: true,
      });
      abort.fire(timedOut);
    }, this.opts.timeoutMs);
    const onAbort = () => abort.fire(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res: Dispatcher.ResponseData = await agent.request({
        origin: this.opts.origin,
        path,
        method,
        headers,
        body: body ?? null,
        signal: abort,
      });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const { text, truncated } = await readBody(res.body, ok ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES);
      return { kind: "response", status: res.statusCode, ok, headers: res.headers, text, truncated };
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

/** The abort undici watches for one attempt (its `signal` option accepts an EventEmitter like this). */
class AttemptAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  /** Aborts once; later calls (the deadline after a caller's abort, say) change nothing. */
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit("abort");
  }
}

/** The first value of a response header, or null. */
export function header(headers: ResponseHeaders, name: string): string | null {
  const v = headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

/** Reads up to `cap` bytes; past that the stream is destroyed (closing the socket) and `truncated` set. */
async function readBody(
  body: Dispatcher.ResponseData["body"],
  cap: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > cap) {
      chunks.push(chunk.subarray(0, cap - size));
      truncated = true;
      break; // leaving the loop destroys the stream, so nothing is left unconsumed
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  // Most API answers arrive in one chunk: decode it without copying it first.
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  return { text: bytes.toString("utf8"), truncated };
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
