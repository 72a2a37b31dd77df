// The one request pipeline of the SpacePay client: URL building, auth headers per route kind,
// idempotency keys, per-attempt timeouts, retries within a budget, body reading and error mapping.
import { randomUUID } from "node:crypto";
import type { Agent, Dispatcher } from "undici";
import { redact, registerSecret } from "../log.js";
import { VERSION } from "../version.js";
import {
  AbortedError,
  ConnectionError,
  InvalidResponseError,
  MissingCredentialError,
  NotConnectedError,
  SpacePayError,
  TimeoutError,
  errorClassForStatus,
  type AttemptRecord,
} from "./errors.js";
import { attemptRecord, settle } from "./failure.js";
import {
  DEFAULT_RETRY_BUDGET_MS,
  backoffMs,
  defaultSleep,
  isRetryableStatus,
  parseRetryAfter,
  type Sleep,
} from "./retry.js";
import type { RequestLogEvent, ResponseMeta } from "./types.js";

/** Which credential a route takes (see "Credentials" in docs/SPACEPAY-API.md). */
export type AuthKind = "secretKey" | "paymentSecret" | "bearer" | "none";

export type QueryValue = string | number | boolean | null | undefined;

export interface HttpRequest {
  method: "GET" | "POST";
  /** Path below the base URL, with path parameters already encoded (see `encodePath`). */
  path: string;
  auth: AuthKind;
  /** The payment secret, for `paymentSecret` routes. */
  paymentSecret?: string;
  /** Undefined and null values are left out. */
  query?: Record<string, QueryValue>;
  /** Sent as JSON; undefined means no body. */
  body?: unknown;
  /** Sent as Idempotency-Key on every attempt; it is what makes a POST safe to retry. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
  meta: ResponseMeta;
}

export interface HttpOptions {
  /** Base URL without /v1; may carry a path prefix. */
  baseUrl: string;
  secretKey?: string | null;
  bearerToken?: string | null;
  /** Connect, headers, body and whole-attempt timeout, each. */
  timeoutMs: number;
  maxRetries: number;
  /** Total time for all attempts and waits together (default 30 s). */
  retryBudgetMs?: number;
  onRequest?: (e: RequestLogEvent) => void;
  /** [0, 1); injectable for deterministic jitter. */
  random?: () => number;
  sleep?: Sleep;
  /** Clock for Retry-After HTTP dates. */
  now?: () => number;
  /** Max sockets per origin for the undici Agent. */
  connections?: number;
}

/** Error bodies beyond this are cut (kept for the log only); success bodies beyond MAX_BODY fail. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** The excerpt of a body an error carries, for the stderr log. */
const BODY_EXCERPT_CHARS = 2_000;

const USER_AGENT = `spacepay-mcp/${VERSION}`;

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

/** Tagged template that URL-encodes every interpolated value: encodePath`/payments/${id}`. */
export function encodePath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ""),
    "",
  );
}

export class HttpPipeline {
  private readonly origin: string;
  private readonly prefix: string;
  /** undici's connection pool, made on the first request: a session that never calls the API never loads undici. */
  private agent: Agent | null = null;
  private agentReady: Promise<Agent> | null = null;
  private closed = false;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly budgetMs: number;

  constructor(private readonly opts: HttpOptions) {
    const url = new URL(opts.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, "");
    this.sleep = opts.sleep ?? defaultSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.budgetMs = opts.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    registerSecret(opts.secretKey);
    registerSecret(opts.bearerToken);
  }

  /** Closes the connection pool; in-flight requests finish first. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.agentReady) await (await this.agentReady).close();
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

  /** Makes a fresh idempotency key (one per logical call; every retry reuses it). */
  newIdempotencyKey(): string {
    return randomUUID();
  }

  /**
   * Sends `req`, retrying within the budget. Whatever it throws is a SpacePayError stamped with every
   * attempt's outcome and whether the call may have gone through (see ./failure.ts).
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const history: AttemptRecord[] = [];
    try {
      return await this.sendAttempts(req, history);
    } catch (err) {
      if (err instanceof SpacePayError) throw settle(err, history);
      throw err;
    }
  }

  private async sendAttempts(req: HttpRequest, history: AttemptRecord[]): Promise<HttpResponse> {
    const headers = this.headersFor(req);
    const secrets = [this.opts.secretKey, this.opts.bearerToken, req.paymentSecret];
    const scrub = (text: string) => scrubSecrets(text, secrets);
    const pathAndQuery = this.prefix + req.path + queryString(req.query);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    // A POST repeated without a key could create a second payment; with one, the API replays.
    const mayRetry = req.method === "GET" || req.idempotencyKey !== undefined;
    const signal = req.signal;
    let spentMs = 0;

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError();
      const started = performance.now();
      let outcome: Attempt;
      try {
        outcome = await this.attempt(req.method, pathAndQuery, headers, body, signal);
      } catch (err) {
        outcome = { kind: "failed", error: this.transportError(err, signal, scrub) };
      }
      const durationMs = Math.round(performance.now() - started);
      spentMs += durationMs;

      let error: SpacePayError;
      if (outcome.kind === "response") {
        const { status, headers: resHeaders, text, truncated } = outcome;
        const requestId = header(resHeaders, "x-request-id") ?? header(resHeaders, "request-id");
        this.emit({ method: req.method, path: req.path, status, durationMs, attempt, requestId });
        let body: unknown;
        let unreadable: InvalidResponseError | null = null;
        if (status >= 200 && status < 300) {
          try {
            body = parseSuccessBody(text, truncated, status, requestId, req, scrub);
          } catch (err) {
            // A garbled or empty answer is worth asking again when that is safe (a GET, or a create
            // whose key makes SpacePay replay its first answer); anything else is final.
            if (!(err instanceof InvalidResponseError) || !err.retryable) {
              if (err instanceof SpacePayError) history.push(attemptRecord(attempt, err));
              throw err;
            }
            unreadable = err;
          }
        }
        if (status >= 200 && status < 300 && !unreadable) {
          return {
            status,
            body,
            meta: {
              status,
              requestId,
              idempotencyKey: req.idempotencyKey ?? null,
              replayed: header(resHeaders, "idempotent-replayed")?.toLowerCase() === "true",
              attempts: attempt,
            },
          };
        }
        const retryAfter = parseRetryAfter(
          header(resHeaders, "retry-after"),
          header(resHeaders, "retry-after-ms"),
          this.now(),
        );
        error = unreadable ?? errorFromResponse(status, resHeaders, text, requestId, retryAfter, scrub);
      } else {
        error = outcome.error;
        this.emit({
          method: req.method,
          path: req.path,
          status: null,
          durationMs,
          attempt,
          requestId: null,
          error: `${error.name}: ${error.message}`,
        });
      }
      history.push(attemptRecord(attempt, error));

      if (!error.retryable || !mayRetry || attempt > this.opts.maxRetries) throw error;
      const wait = error.retryAfterMs ?? backoffMs(attempt, this.random);
      if (wait > this.budgetMs - spentMs) throw error; // retryAfterMs (when the API sent it) says how long
      try {
        await raceAbort(this.sleep(wait, signal), signal);
      } catch {
        throw abortedError();
      }
      spentMs += wait;
    }
  }

  private headersFor(req: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT };
    if (req.body !== undefined) headers["content-type"] = "application/json";
    if (req.idempotencyKey !== undefined) headers["idempotency-key"] = req.idempotencyKey;
    switch (req.auth) {
      case "secretKey":
        if (!this.opts.secretKey) {
          throw new MissingCredentialError(
            "This call needs the merchant secret key: set SPACEPAY_SECRET_KEY (or SPACEPAY_SECRET_KEY_FILE).",
          );
        }
        headers["x-spacepay-secret-key"] = headerValue(this.opts.secretKey, "SPACEPAY_SECRET_KEY");
        break;
      case "paymentSecret":
        if (!req.paymentSecret?.trim()) {
          throw new MissingCredentialError(
            "This call needs the payment secret (the `secret` returned when the payment was created).",
          );
        }
        // Not registered process-wide: it may be the caller's, and send() masks it in this call's text.
        headers["x-spacepay-payment-secret"] = headerValue(req.paymentSecret.trim(), "the payment secret");
        break;
      case "bearer":
        if (!this.opts.bearerToken) {
          throw new MissingCredentialError(
            "This call needs a dashboard bearer token: set SPACEPAY_BEARER_TOKEN (or SPACEPAY_BEARER_TOKEN_FILE).",
          );
        }
        headers.authorization = `Bearer ${headerValue(this.opts.bearerToken, "SPACEPAY_BEARER_TOKEN")}`;
        break;
      case "none":
        break;
    }
    return headers;
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
    const controller = new AbortController();
    // The error is built only when the deadline fires: most attempts never need its stack trace.
    const timer = setTimeout(
      () =>
        controller.abort(
          new TimeoutError(`No complete response from SpacePay within ${this.opts.timeoutMs} ms.`, {
            retryable: true,
          }),
        ),
      this.opts.timeoutMs,
    );
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res: Dispatcher.ResponseData = await agent.request({
        origin: this.origin,
        path,
        method,
        headers,
        body: body ?? null,
        signal: controller.signal,
      });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const { text, truncated } = await readBody(res.body, ok ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES);
      return { kind: "response", status: res.statusCode, headers: res.headers, text, truncated };
    } catch (err) {
      // Whatever shape undici gives the abort, our own deadline firing means a timeout.
      const reason: unknown = controller.signal.reason;
      if (reason instanceof TimeoutError && !signal?.aborted) throw reason;
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
      return new Cls(`Could not reach SpacePay at ${this.origin}: ${detail}`, {
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

  private emit(e: RequestLogEvent): void {
    try {
      this.opts.onRequest?.(e);
    } catch {
      // A faulty logger must not break a payment call.
    }
  }
}

type Attempt =
  | {
      kind: "response";
      status: number;
      headers: Dispatcher.ResponseData["headers"];
      text: string;
      truncated: boolean;
    }
  | { kind: "failed"; error: SpacePayError };

type Scrub = (text: string) => string;

function abortedError(cause?: unknown): AbortedError {
  return new AbortedError("The request was cancelled.", { retryable: false, cause });
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
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

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | null {
  const v = headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

/** Header values may not carry control characters (CR/LF would inject headers). */
function headerValue(value: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new MissingCredentialError(`${what} contains control characters and cannot be sent as a header.`);
  }
  return value;
}

function scrubSecrets(text: string, secrets: Array<string | null | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  return redact(out);
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

function excerpt(text: string, scrub: Scrub): string | null {
  if (!text) return null;
  return scrub(text.length > BODY_EXCERPT_CHARS ? text.slice(0, BODY_EXCERPT_CHARS) + "…" : text);
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function parseSuccessBody(
  text: string,
  truncated: boolean,
  status: number,
  requestId: string | null,
  req: HttpRequest,
  scrub: Scrub,
): unknown {
  const where = `${req.method} ${req.path}`;
  if (truncated) {
    throw new InvalidResponseError(
      `SpacePay answered ${status} to ${where} with a body over ${MAX_BODY_BYTES} bytes; it was not read.`,
      { status, requestId, code: "response_too_large" },
    );
  }
  // Every SpacePay route answers JSON: an empty or non-JSON 2xx body was garbled on the way (a proxy,
  // a cut connection), so it is retryable where repeating the request is safe.
  if (text.trim() === "") {
    throw new InvalidResponseError(`SpacePay answered ${status} to ${where} with an empty body.`, {
      status,
      requestId,
      code: "empty_body",
      retryable: true,
    });
  }
  const parsed = tryJson(text);
  if (!parsed.ok) {
    throw new InvalidResponseError(`SpacePay answered ${status} to ${where} with a body that is not JSON.`, {
      status,
      requestId,
      code: "invalid_json",
      retryable: true,
      body: excerpt(text, scrub),
    });
  }
  return parsed.value;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v : null);

/** Maps a non-2xx response to the typed error, whatever its body looks like. */
function errorFromResponse(
  status: number,
  headers: Dispatcher.ResponseData["headers"],
  text: string,
  requestId: string | null,
  retryAfterMs: number | null,
  scrub: Scrub,
): SpacePayError {
  let type: string | null = null;
  let code: string | null = null;
  let param: string | null = null;
  let apiMessage: string | null = null;
  let shape: string;

  const parsed = text.trim() ? tryJson(text) : null;
  if (parsed === null) shape = "an empty body";
  else if (!parsed.ok) {
    const ct = header(headers, "content-type")?.split(";")[0]?.trim();
    shape = `a non-JSON body${ct ? ` (${ct})` : ""}`;
  } else {
    shape = "a JSON body without the documented error envelope";
    const v = parsed.value;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      // The documented envelope {"error": {type, message, code, param}}.
      const env = o.error && typeof o.error === "object" ? (o.error as Record<string, unknown>) : null;
      const src = env ?? o;
      type = str(src.type) ?? (env ? null : str(o.error));
      code = str(src.code);
      param = str(src.param);
      const m = src.message;
      apiMessage = Array.isArray(m) ? m.filter((x) => typeof x === "string").join("; ") || null : str(m);
    }
  }

  const clip = (s: string | null, n: number) =>
    s === null ? null : scrub(s.length > n ? s.slice(0, n) + "…" : s);
  const message =
    apiMessage !== null
      ? `SpacePay API error ${status}${code ? ` (${clip(code, 100)})` : ""}: ${clip(apiMessage, 500)}`
      : `SpacePay API error ${status} with ${shape}.`;
  const Cls = errorClassForStatus(status, code);
  return new Cls(message, {
    status,
    type: clip(type, 100),
    code: clip(code, 100),
    param: clip(param, 100),
    requestId,
    retryable: isRetryableStatus(status),
    ...(retryAfterMs !== null ? { retryAfterMs } : {}),
    body: excerpt(text, scrub),
  });
}
