// The typed error hierarchy of the SpacePay client (openai-node style): one class per kind of
// failure, chosen by HTTP status or transport failure, carrying what the API said about it.

export interface SpacePayErrorInit {
  status?: number | null;
  type?: string | null;
  code?: string | null;
  param?: string | null;
  requestId?: string | null;
  retryable?: boolean;
  retryAfterMs?: number;
  /** A capped, credential-free excerpt of the response body, for the stderr log only. */
  body?: string | null;
  cause?: unknown;
}

/** What one attempt of a request came to, kept on the error a call finally throws. */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  attempt: number;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** The error's class and, for a transport failure, its code: "ConnectionError ECONNRESET". */
  what: string;
  /** Whether SpacePay may have processed this attempt (see ./failure.ts). */
  mayHaveBeenProcessed: boolean;
}

/** Whether a failed call may have reached SpacePay and been processed (so may have moved money). */
export type FailureClass = "not_sent" | "ambiguous";

export class SpacePayError extends Error {
  override name = "SpacePayError";
  /** HTTP status, or null when no response arrived. */
  readonly status: number | null;
  /** The API's error type, e.g. "invalid_request_error". */
  readonly type: string | null;
  /** The API's error code, e.g. "payment_not_found". */
  readonly code: string | null;
  /** The request field the error is about, e.g. "amount". */
  readonly param: string | null;
  readonly requestId: string | null;
  /** Whether the same request may succeed if sent again. */
  readonly retryable: boolean;
  /** What the API asked us to wait (Retry-After), when it said. */
  retryAfterMs?: number;
  readonly body: string | null;
  /** Every attempt of the call, set by the request pipeline when it gives up (see ./failure.ts). */
  attempts?: readonly AttemptRecord[];
  /** The call's class, decided from `attempts` once, when the pipeline gives up. */
  failure?: FailureClass;

  constructor(message: string, init: SpacePayErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status ?? null;
    this.type = init.type ?? null;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.requestId = init.requestId ?? null;
    this.retryable = init.retryable ?? false;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.body = init.body ?? null;
  }
}

/**
 * A 4xx that rejects the request as sent (400, 401, 403, 404, 405, 413, 415, 422): every attempt
 * carried the same body and credentials, so this one was not processed. Its own class for 405, 413, 415.
 */
export class RejectedError extends SpacePayError {
  override name = "RejectedError";
}
/** 400 or 422: the request was rejected as invalid (see `param` and `code`). */
export class ValidationError extends RejectedError {
  override name = "ValidationError";
}
/** 401: the credential was missing or wrong. */
export class AuthenticationError extends RejectedError {
  override name = "AuthenticationError";
}
/** 403: the credential is valid but not allowed to do this. */
export class PermissionError extends RejectedError {
  override name = "PermissionError";
}
/** 404 */
export class NotFoundError extends RejectedError {
  override name = "NotFoundError";
}
/** 409: the Idempotency-Key is in use by a request still in progress, or was used with another body. */
export class IdempotencyConflictError extends SpacePayError {
  override name = "IdempotencyConflictError";
}
/** 409 because the Idempotency-Key was used before with another body: this request was not processed. */
export class IdempotencyKeyReusedError extends IdempotencyConflictError {
  override name = "IdempotencyKeyReusedError";
}
/** 429 */
export class RateLimitError extends SpacePayError {
  override name = "RateLimitError";
}
/** 5xx */
export class ServerError extends SpacePayError {
  override name = "ServerError";
}
/** The connection failed (refused, reset, DNS) before a complete response arrived. */
export class ConnectionError extends SpacePayError {
  override name = "ConnectionError";
}
/** The connection was never made (refused, DNS, unreachable): not a byte of the request was sent. */
export class NotConnectedError extends ConnectionError {
  override name = "NotConnectedError";
}
/** No complete response within the timeout (or the API answered 408). */
export class TimeoutError extends SpacePayError {
  override name = "TimeoutError";
}
/** The caller's AbortSignal fired. Never retried. */
export class AbortedError extends SpacePayError {
  override name = "AbortedError";
}
/** A 2xx response whose body could not be read as the documented shape. */
export class InvalidResponseError extends SpacePayError {
  override name = "InvalidResponseError";
}
/** The route needs a credential the configuration does not have; raised before any request. */
export class MissingCredentialError extends SpacePayError {
  override name = "MissingCredentialError";
}

type ErrorClass = new (message: string, init?: SpacePayErrorInit) => SpacePayError;

/** The error class for an HTTP status (non-2xx) and the API's error code. */
export function errorClassForStatus(status: number, code: string | null = null): ErrorClass {
  if (status === 400 || status === 422) return ValidationError;
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionError;
  if (status === 404) return NotFoundError;
  if (status === 405 || status === 413 || status === 415) return RejectedError;
  if (status === 408) return TimeoutError;
  if (status === 409) {
    return code === "idempotency_key_reused" ? IdempotencyKeyReusedError : IdempotencyConflictError;
  }
  if (status === 429) return RateLimitError;
  if (status >= 500) return ServerError;
  return SpacePayError;
}
