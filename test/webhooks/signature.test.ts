import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "../../src/webhooks/signature.js";

const body = Buffer.from('{"id":"evt_1","type":"payment.updated","data":{"id":"pay_1"}}');
const now = 1_800_000_000_000;
const ts = String(now / 1000);
const base = { timestamp: ts, rawBody: body, nowMs: now, windowMs: 300_000 };

describe("webhook signature", () => {
  it("accepts a delivery signed with the secret", () => {
    const signature = signWebhook("s3cret", ts, body);
    expect(verifyWebhookSignature({ ...base, secrets: ["s3cret"], signature })).toEqual({ ok: true });
  });

  it("accepts either secret during rotation and refuses a third", () => {
    const old = signWebhook("old", ts, body);
    const fresh = signWebhook("new", ts, body);
    const secrets = ["old", "new"];
    expect(verifyWebhookSignature({ ...base, secrets, signature: old }).ok).toBe(true);
    expect(verifyWebhookSignature({ ...base, secrets, signature: fresh }).ok).toBe(true);
    const other = signWebhook("other", ts, body);
    expect(verifyWebhookSignature({ ...base, secrets, signature: other })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("refuses an altered body, a malformed signature and a signature over another timestamp", () => {
    const signature = signWebhook("s3cret", ts, body);
    const altered = Buffer.from(body.toString().replace("pay_1", "pay_2"));
    expect(verifyWebhookSignature({ ...base, secrets: ["s3cret"], signature, rawBody: altered }).ok).toBe(
      false,
    );
    expect(verifyWebhookSignature({ ...base, secrets: ["s3cret"], signature: "abc" }).ok).toBe(false);
    const shifted = signWebhook("s3cret", String(now / 1000 - 1), body);
    expect(verifyWebhookSignature({ ...base, secrets: ["s3cret"], signature: shifted }).ok).toBe(false);
  });

  it("refuses a timestamp outside the window either way, or not a number, even when correctly signed", () => {
    for (const t of [String(now / 1000 - 301), String(now / 1000 + 301), "soon", ""]) {
      const signature = signWebhook("s3cret", t, body);
      expect(verifyWebhookSignature({ ...base, timestamp: t, secrets: ["s3cret"], signature })).toEqual({
        ok: false,
        reason: "stale_timestamp",
      });
    }
    const edge = String(now / 1000 - 300);
    const signature = signWebhook("s3cret", edge, body);
    expect(verifyWebhookSignature({ ...base, timestamp: edge, secrets: ["s3cret"], signature }).ok).toBe(
      true,
    );
  });
});
