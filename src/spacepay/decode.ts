// Decoding a 2xx answer: its JSON body and the response metadata, or the InvalidResponseError that
// says why the body cannot be used; plus the JSON and excerpt helpers error mapping shares.
import type { Scrub } from "./auth.js";
import { InvalidResponseError } from "./errors.js";
import type { HttpRequest, HttpResponse } from "./request.js";
import { MAX_BODY_BYTES, header, type ResponseHeaders } from "./transport.js";

/** The excerpt of a body an error carries, for the stderr log. */
const BODY_EXCERPT_CHARS = 2_000;

export interface Success {
  status: number;
  headers: ResponseHeaders;
  text: string;
  truncated: boolean;
  requestId: string | null;
  attempt: number;
}

/** The response of a 2xx, or (returned, not thrown: the caller decides on retrying) why it is unusable. */
export function decodeSuccess(
  res: Success,
  req: HttpRequest,
  scrub: Scrub,
): HttpResponse | InvalidResponseError {
  const { status, requestId } = res;
  const where = `${req.method} ${req.path}`;
  if (res.truncated) {
    return new InvalidResponseError(
      `SpacePay answered ${status} to ${where} with a body over ${MAX_BODY_BYTES} bytes; it was not read.`,
      { status, requestId, code: "response_too_large" },
    );
  }
  // Every SpacePay route answers JSON: an empty or non-JSON 2xx body was garbled on the way (a proxy,
  // a cut connection), so it is retryable where repeating the request is safe.
  if (res.text.trim() === "") {
    return new InvalidResponseError(`SpacePay answered ${status} to ${where} with an empty body.`, {
      status,
      requestId,
      code: "empty_body",
      retryable: true,
    });
  }
  const parsed = tryJson(res.text);
  if (!parsed.ok) {
    return new InvalidResponseError(`SpacePay answered ${status} to ${where} with a body that is not JSON.`, {
      status,
      requestId,
      code: "invalid_json",
      retryable: true,
      body: excerpt(res.text, scrub),
    });
  }
  return {
    status,
    body: parsed.value,
    meta: {
      status,
      requestId,
      idempotencyKey: req.idempotencyKey ?? null,
      replayed: header(res.headers, "idempotent-replayed")?.toLowerCase() === "true",
      attempts: res.attempt,
    },
  };
}

export function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The scrubbed start of a body, for an error's log line; null for an empty body. */
export function excerpt(text: string, scrub: Scrub): string | null {
  if (!text) return null;
  return scrub(text.length > BODY_EXCERPT_CHARS ? text.slice(0, BODY_EXCERPT_CHARS) + "…" : text);
}
