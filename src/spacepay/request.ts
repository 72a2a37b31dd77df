// The shapes of one call through the pipeline (what is sent, what comes back), apart from ./http.ts
// so that the modules it uses can name them without importing it back.
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
  /** Background or watch traffic: each attempt waits for the upstream budget (see ./budget.ts). */
  background?: boolean;
  /** Told of each attempt besides the client's own `onRequest` (the MCP request that made the call). */
  onAttempt?: (e: RequestLogEvent) => void;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
  meta: ResponseMeta;
}
