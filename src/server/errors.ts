// The one error boundary: every failure of a tool becomes an isError result with actionable text
// (what failed, what SpacePay said, what to do next). Stack traces and raw bodies go to stderr only.
import type { CallToolResult } from "@modelcontextprotocol/server";
import {
  AbortedError,
  ConnectionError,
  MissingCredentialError,
  SpacePayError,
  TimeoutError,
  type FailureClass,
} from "../spacepay/errors.js";
import { SPACEPAY_API } from "../domain.js";
import { log, redact } from "../log.js";
import { quote } from "./render.js";
import { cleanLines } from "../text.js";

/**
 * A tool argument that passed the schema but breaks a rule the schema cannot express; `missing` when
 * the call left out an argument it needs after all (nothing the caller passed was wrong).
 */
export class ToolInputError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    missing = false,
  ) {
    super(`${missing ? "Missing" : "Invalid"} argument \`${field}\`: ${rule}.`);
    this.name = "ToolInputError";
  }
}

/** A refusal by configuration or policy (read-only, limits, allow-list); no API call was made. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedError";
  }
}

export type ErrorResult = CallToolResult & { isError: true };

export function errorResult(text: string): ErrorResult {
  return { isError: true, content: [{ type: "text", text: cleanLines(redact(text)) }] };
}

function nextStep(err: SpacePayError): string {
  const status = err.status ?? 0;
  if (status >= 200 && status < 300) {
    // A 2xx means SpacePay did the work; only its answer was lost. Whether repeating a create is
    // safe is said by the money-call note (moneyFailureNote), where the guard kept the key.
    return "SpacePay accepted the request, but its answer could not be read. Repeat the same call once; if it fails again, report the request id to SpacePay support.";
  }
  if (status === 400 || status === 422) {
    return err.param
      ? `Fix the \`${err.param}\` value and call again.`
      : "SpacePay refused the request as sent; its message above says why. Change that before calling again (a quote, for example, needs a payment that is still pending).";
  }
  if (status === 401) {
    return `The merchant secret key was rejected. Check SPACEPAY_SECRET_KEY: test keys start with sk_test_ and only work against the testnet API (${SPACEPAY_API.testnet}); live keys start with sk_ and work against ${SPACEPAY_API.live}.`;
  }
  if (status === 403)
    return "This credential may not access that object (it may belong to another merchant).";
  if (status === 404) {
    return "Check the id. Use list_payments (search by order id, tx hash or address) or list_withdrawals to find the right one.";
  }
  if (status === 409) {
    return "An earlier request with the same idempotency key is still in progress or had different arguments. Wait a few seconds and repeat the same call; for a different request, pass a new idempotencyKey.";
  }
  if (status === 429) {
    const secs = err.retryAfterMs !== undefined ? Math.ceil(err.retryAfterMs / 1000) : null;
    return secs !== null
      ? `SpacePay is rate limiting; retry in ${secs} second${secs === 1 ? "" : "s"}.`
      : "SpacePay is rate limiting; retry in a little while.";
  }
  if (status >= 500) {
    return "SpacePay had a server error. Retry in a little while.";
  }
  if (err instanceof TimeoutError) {
    return "SpacePay did not answer in time. Retry in a little while; use get_payment or list_withdrawals to check whether it went through.";
  }
  if (err instanceof ConnectionError) {
    return "Could not reach SpacePay. Check SPACEPAY_API_URL and the network, then retry.";
  }
  if (err instanceof AbortedError) return "The call was cancelled.";
  if (err instanceof MissingCredentialError) {
    return "Set the variables named above in the server's environment and restart it.";
  }
  return "Retry once; if it fails again, report the request id to SpacePay support.";
}

/** "1 ConnectionError ECONNRESET (may have been processed); 2 HTTP 403 (not processed)" */
function describeAttempts(err: SpacePayError): string {
  return (err.attempts ?? [])
    .map(
      (a) =>
        `${a.attempt} ${a.status !== null ? `HTTP ${a.status}` : a.what} (${a.mayHaveBeenProcessed ? "may have been processed" : "not processed"})`,
    )
    .join("; ");
}

/**
 * What the agent is told about a failed money-moving call: whether anything may have moved, and
 * the next step that is true for it. `not_called`: the guard stopped before any request.
 */
export function moneyFailureNote(failure: FailureClass | "not_called", err: unknown): string {
  const attempts =
    err instanceof SpacePayError && (err.attempts?.length ?? 0) > 1 ? describeAttempts(err) : "";
  const history = attempts ? ` Attempts: ${attempts}.` : "";
  if (failure === "not_called") return "Nothing was sent to SpacePay: the call stopped before any request.";
  if (failure === "not_sent") {
    return `Nothing was sent: SpacePay processed no attempt of this call, so nothing was created or moved.${history}`;
  }
  // Only here does repeating resume: the guard kept the key for this call, whatever channel confirmed it.
  return `It may have gone through.${history} Repeat the identical call (the same arguments): the server reuses its idempotency key, so SpacePay returns the first result instead of acting twice.`;
}

/** Renders any failure of tool `tool` as an isError result. */
export function toErrorResult(tool: string, err: unknown): ErrorResult {
  if (err instanceof ToolInputError || err instanceof RefusedError) {
    return errorResult(`${tool}: ${err.message}`);
  }
  if (err instanceof SpacePayError) {
    const parts: string[] = [];
    if (err.status) parts.push(`HTTP ${err.status}`);
    if (err.type) parts.push(err.type);
    if (err.code) parts.push(err.code);
    if (err.param) parts.push(`param ${err.param}`);
    const what =
      err.status !== null && err.status >= 200 && err.status < 300
        ? "SpacePay's answer could not be read"
        : err.status
          ? "SpacePay answered with an error"
          : `the request failed (${err.name})`;
    const lines = [
      `${tool} failed: ${what}${parts.length ? ` (${parts.join(", ")})` : ""}.`,
      `Message: ${quote(err.message)}`,
    ];
    if (err.requestId) lines.push(`Request id: ${err.requestId}`);
    lines.push(`Next step: ${nextStep(err)}`);
    log("debug", `${tool} failed`, { error: err.name, status: err.status, code: err.code });
    return errorResult(lines.join("\n"));
  }
  const e = err instanceof Error ? err : new Error(String(err));
  log("error", `${tool} crashed: ${e.stack ?? e.message}`);
  return errorResult(
    `${tool} failed with an internal error: ${quote(e.message)}. The details are in the server's log.`,
  );
}
