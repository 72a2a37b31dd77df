// The credentials of a request: the headers each route kind sends, and the scrubber that keeps
// those secrets out of any text an error or log line carries.
import { redact } from "../log.js";
import { VERSION } from "../version.js";
import { MissingCredentialError } from "./errors.js";
import type { HttpRequest } from "./request.js";

/** The process-wide credentials, from the server's configuration. */
export interface Credentials {
  secretKey?: string | null;
  bearerToken?: string | null;
}

export type Scrub = (text: string) => string;

const USER_AGENT = `spacepay-mcp/${VERSION}`;

/** Every header of `req`, with the credential its route takes; throws when that credential is missing. */
export function requestHeaders(req: HttpRequest, creds: Credentials): Record<string, string> {
  const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT };
  if (req.body !== undefined) headers["content-type"] = "application/json";
  if (req.idempotencyKey !== undefined) headers["idempotency-key"] = req.idempotencyKey;
  switch (req.auth) {
    case "secretKey":
      if (!creds.secretKey) {
        throw new MissingCredentialError(
          "This call needs the merchant secret key: set SPACEPAY_SECRET_KEY (or SPACEPAY_SECRET_KEY_FILE).",
        );
      }
      headers["x-spacepay-secret-key"] = headerValue(creds.secretKey, "SPACEPAY_SECRET_KEY");
      break;
    case "paymentSecret":
      if (!req.paymentSecret?.trim()) {
        throw new MissingCredentialError(
          "This call needs the payment secret (the `secret` returned when the payment was created).",
        );
      }
      // Not registered process-wide: it may be the caller's, and scrubberFor() masks it in this call's text.
      headers["x-spacepay-payment-secret"] = headerValue(req.paymentSecret.trim(), "the payment secret");
      break;
    case "bearer":
      if (!creds.bearerToken) {
        throw new MissingCredentialError(
          "This call needs a dashboard bearer token: set SPACEPAY_BEARER_TOKEN (or SPACEPAY_BEARER_TOKEN_FILE).",
        );
      }
      headers.authorization = `Bearer ${headerValue(creds.bearerToken, "SPACEPAY_BEARER_TOKEN")}`;
      break;
    case "none":
      break;
  }
  return headers;
}

/** Masks every secret this call could leak (including its payment secret) in text bound for errors or logs. */
export function scrubberFor(req: HttpRequest, creds: Credentials): Scrub {
  const secrets = [creds.secretKey, creds.bearerToken, req.paymentSecret];
  return (text) => scrubSecrets(text, secrets);
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
