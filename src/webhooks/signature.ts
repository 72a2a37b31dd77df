// Checks a SpacePay webhook delivery's signature and timestamp (API-NOTES: X-SpacePay-Signature is the
// hex HMAC-SHA256 of `timestamp + "." + rawBody`). Pure and synchronous so the receiver (issue 25) can
// refuse before it records anything; no secret or signature ever appears in a result.
import { createHmac, timingSafeEqual } from "node:crypto";

export type SignatureVerdict = { ok: true } | { ok: false; reason: "bad_signature" | "stale_timestamp" };

/** Rotation: several secrets may be active at once; any one of them signing the delivery accepts it. */
export function verifyWebhookSignature(opts: {
  secrets: readonly string[];
  timestamp: string;
  signature: string;
  rawBody: Buffer;
  nowMs: number;
  windowMs: number;
}): SignatureVerdict {
  const ts = /^\d{1,15}$/.test(opts.timestamp) ? Number(opts.timestamp) * 1000 : Number.NaN;
  if (!Number.isFinite(ts) || Math.abs(opts.nowMs - ts) > opts.windowMs) {
    return { ok: false, reason: "stale_timestamp" };
  }
  // Compare bytes of equal length only: a signature that is not 64 hex chars can never match.
  if (!/^[0-9a-fA-F]{64}$/.test(opts.signature)) return { ok: false, reason: "bad_signature" };
  const given = Buffer.from(opts.signature, "hex");
  let match = false;
  for (const secret of opts.secrets) {
    const expected = createHmac("sha256", secret).update(`${opts.timestamp}.`).update(opts.rawBody).digest();
    // Check every secret (no early exit) so timing does not tell which secret matched.
    match = timingSafeEqual(expected, given) || match;
  }
  return match ? { ok: true } : { ok: false, reason: "bad_signature" };
}

/** Signs a delivery the way SpacePay does (the simulator's sender and tests use it). */
export function signWebhook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
}
