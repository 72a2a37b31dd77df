// The request pipeline of the SpacePay client: builds each call (URL, headers, idempotency key) and
// runs its attempts loop; credentials, the exchange, decoding, error mapping and the retry decision
// each live in their own module beside it.
import { randomUUID } from "node:crypto";
import { registerSecret } from "../log.js";
import { requestHeaders, scrubberFor, type Scrub } from "./auth.js";
import type { HttpRequest, HttpResponse, QueryValue } from "./request.js";
import { decodeSuccess } from "./decode.js";
import { errorFromResponse } from "./error-map.js";
import { SpacePayError, type AttemptRecord } from "./errors.js";
import { attemptRecord, settle } from "./failure.js";
import {
  DEFAULT_RETRY_BUDGET_MS,
  defaultSleep,
  parseRetryAfter,
  pause,
  retryDelay,
  type Sleep,
} from "./retry.js";
import { Transport, abortedError, header, type Attempt } from "./transport.js";
import type { RequestLogEvent } from "./types.js";
import type { RequestBudget } from "./budget.js";

export type { AuthKind, HttpRequest, HttpResponse, QueryValue } from "./request.js";
export { MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES } from "./transport.js";

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
  /**
   * The instance's upstream budget: `background` requests wait for it before each attempt, and every
   * 429 slows it (see ./budget.ts). Without it nothing waits.
   */
  budget?: RequestBudget;
}

/** Tagged template that URL-encodes every interpolated value: encodePath`/payments/${id}`. */
export function encodePath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ""),
    "",
  );
}

export class HttpPipeline {
  private readonly prefix: string;
  private readonly transport: Transport;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly budgetMs: number;

  constructor(private readonly opts: HttpOptions) {
    const url = new URL(opts.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, "");
    this.transport = new Transport({
      origin: url.origin,
      timeoutMs: opts.timeoutMs,
      ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
    });
    this.sleep = opts.sleep ?? defaultSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.budgetMs = opts.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    registerSecret(opts.secretKey);
    registerSecret(opts.bearerToken);
  }

  /** Closes the connection pool; in-flight requests finish first. */
  close(): Promise<void> {
    return this.transport.close();
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
    const headers = requestHeaders(req, this.opts);
    const scrub = scrubberFor(req, this.opts);
    const pathAndQuery = this.prefix + req.path + queryString(req.query);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const { method, idempotencyKey, signal } = req;
    let spentMs = 0;

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError();
      if (req.background && this.opts.budget) {
        try {
          await this.opts.budget.take(signal);
        } catch {
          throw abortedError();
        }
      }
      const started = performance.now();
      const outcome = await this.transport.exchange(method, pathAndQuery, headers, body, signal, scrub);
      const durationMs = Math.round(performance.now() - started);
      spentMs += durationMs;

      const result = this.judge(outcome, req, attempt, durationMs, scrub);
      if (!(result instanceof SpacePayError)) return result;
      history.push(attemptRecord(attempt, result));

      const wait = retryDelay(result, {
        method,
        idempotencyKey,
        attempt,
        maxRetries: this.opts.maxRetries,
        spentMs,
        budgetMs: this.budgetMs,
        random: this.random,
      });
      if (wait === null) throw result;
      try {
        await pause(this.sleep, wait, signal);
      } catch {
        throw abortedError();
      }
      spentMs += wait;
    }
  }

  /** Logs one attempt and turns it into the call's response or the error it ended in. */
  private judge(
    outcome: Attempt,
    req: HttpRequest,
    attempt: number,
    durationMs: number,
    scrub: Scrub,
  ): HttpResponse | SpacePayError {
    const { method, path } = req;
    if (outcome.kind === "failed") {
      const { error } = outcome;
      const text = `${error.name}: ${error.message}`;
      this.emit({ method, path, status: null, durationMs, attempt, requestId: null, error: text }, req);
      return error;
    }
    const { status, headers, text } = outcome;
    const requestId = header(headers, "x-request-id") ?? header(headers, "request-id");
    this.emit({ method, path, status, durationMs, attempt, requestId }, req);
    // A garbled 2xx comes back as an error, retried (when safe) like any other.
    if (outcome.ok) return decodeSuccess({ ...outcome, requestId, attempt }, req, scrub);
    const retryAfter = parseRetryAfter(
      header(headers, "retry-after"),
      header(headers, "retry-after-ms"),
      this.now(),
    );
    if (status === 429) this.opts.budget?.throttled(retryAfter);
    return errorFromResponse(status, headers, text, requestId, retryAfter, scrub);
  }

  private emit(e: RequestLogEvent, req: HttpRequest): void {
    try {
      this.opts.onRequest?.(e);
      req.onAttempt?.(e);
    } catch {
      // A faulty logger must not break a payment call.
    }
  }
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}
