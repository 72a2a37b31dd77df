// The failure model, decided once: whether an attempt may have been processed by SpacePay (by the
// error's type), and from every attempt of a call, whether the call may have gone through.
import {
  IdempotencyKeyReusedError,
  MissingCredentialError,
  NotConnectedError,
  RateLimitError,
  RejectedError,
  SpacePayError,
  type AttemptRecord,
  type FailureClass,
} from "./errors.js";

/**
 * Conservative on purpose: only a rejection before processing (429, a refused connection, a
 * credential we never sent) or of the request as sent (see RejectedError, a 409 for a key used with
 * another body) clears an attempt. A timeout, reset, 5xx, 408, 409 in progress, an unreadable 2xx or
 * anything unknown may have been processed.
 */
export function mayHaveBeenProcessed(err: unknown): boolean {
  return !(
    err instanceof RejectedError ||
    err instanceof RateLimitError ||
    err instanceof NotConnectedError ||
    err instanceof IdempotencyKeyReusedError ||
    err instanceof MissingCredentialError
  );
}

/** The record of attempt number `attempt`, which ended in `err`. */
export function attemptRecord(attempt: number, err: SpacePayError): AttemptRecord {
  return {
    attempt,
    status: err.status,
    what: err.code && err.status === null ? `${err.name} ${err.code}` : err.name,
    mayHaveBeenProcessed: mayHaveBeenProcessed(err),
  };
}

/** A call is "not sent" only when no attempt can have been processed. */
export function classifyAttempts(attempts: readonly AttemptRecord[]): FailureClass {
  return attempts.some((a) => a.mayHaveBeenProcessed) ? "ambiguous" : "not_sent";
}

/** Stamps the error a call finally throws with its attempt history and the answer it implies. */
export function settle<E extends SpacePayError>(err: E, attempts: readonly AttemptRecord[]): E {
  err.attempts = attempts;
  err.failure = classifyAttempts(attempts);
  return err;
}

/**
 * The class of any failure of a call that may have reached SpacePay: the one the pipeline stamped on
 * the error; anything else (an error after a 2xx, a bug) may have gone through.
 */
export function failureOf(err: unknown): FailureClass {
  return err instanceof SpacePayError && err.failure ? err.failure : "ambiguous";
}
