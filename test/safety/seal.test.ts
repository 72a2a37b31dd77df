// Sealing with the state key: what seal() makes only open() with the same key and purpose can read,
// any change is refused with a reason (never a thrown crypto error), and sealed claims expire.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { open, openClaims, seal, sealClaims } from "../../src/safety/seal.js";

const key = randomBytes(32);
const SECRET = "ps_live_very_secret_value_42";
const AAD = "payment-secret:pay_1";

function flip(sealed: string, byte: number, bit: number): string {
  const raw = Buffer.from(sealed.slice(3), "base64url");
  raw[byte]! ^= 1 << bit;
  return `v1.${raw.toString("base64url")}`;
}

describe("seal and open", () => {
  it("round-trips, with a fresh IV each time and no plaintext in the sealed string", () => {
    const a = seal(key, SECRET, AAD);
    const b = seal(key, SECRET, AAD);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    for (const s of [a, b]) {
      expect(s).not.toContain(SECRET);
      expect(Buffer.from(s.slice(3), "base64url").toString("latin1")).not.toContain(SECRET);
      expect(open(key, s, AAD)).toEqual({ ok: true, plaintext: SECRET });
    }
    expect(open(key, seal(key, "", AAD), AAD)).toEqual({ ok: true, plaintext: "" });
    expect(open(key, seal(key, "ünï ✓", AAD), AAD)).toEqual({ ok: true, plaintext: "ünï ✓" });
  });

  it("refuses every single-bit flip, in the IV, the ciphertext and the tag", () => {
    const sealed = seal(key, SECRET, AAD);
    const length = Buffer.from(sealed.slice(3), "base64url").length;
    let refused = 0;
    for (let byte = 0; byte < length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const result = open(key, flip(sealed, byte, bit), AAD);
        expect(result).toEqual({ ok: false, reason: "tampered" });
        refused++;
      }
    }
    expect(refused).toBe(length * 8);
  });

  it("refuses another purpose or record, and another key, as tampered", () => {
    const sealed = seal(key, SECRET, AAD);
    expect(open(key, sealed, "payment-secret:pay_2")).toEqual({ ok: false, reason: "tampered" });
    expect(open(key, sealed, "request-state")).toEqual({ ok: false, reason: "tampered" });
    expect(open(randomBytes(32), sealed, AAD)).toEqual({ ok: false, reason: "tampered" });
  });

  it("calls anything that is not an envelope malformed", () => {
    const sealed = seal(key, SECRET, AAD);
    for (const bad of [
      "",
      SECRET,
      "v2." + sealed.slice(3),
      "v1.",
      "v1.abc",
      sealed + "!",
      sealed.slice(0, 30),
    ]) {
      const result = open(key, bad, AAD);
      expect(result.ok).toBe(false);
    }
    expect(open(key, SECRET, AAD)).toEqual({ ok: false, reason: "malformed" });
    expect(open(key, "v1.abc", AAD)).toEqual({ ok: false, reason: "malformed" });
    expect(open(key, sealed + "!", AAD)).toEqual({ ok: false, reason: "malformed" });
  });

  it("refuses a key of the wrong size as a programming error", () => {
    expect(() => seal(randomBytes(16), SECRET, AAD)).toThrow(/32 bytes/);
  });
});

describe("sealed claims", () => {
  const claims = { tool: "create_withdrawal", digest: "abc", idempotencyKey: "k-1" };
  const now = new Date("2026-01-01T00:00:00Z");
  const later = new Date(now.getTime() + 60_000);

  it("round-trip with a random id and the expiry, until they expire", () => {
    const a = sealClaims(key, "request-state", claims, later);
    const b = sealClaims(key, "request-state", claims, later);
    const opened = openClaims(key, "request-state", a, now);
    expect(opened).toMatchObject({ ok: true, claims, expiresAt: later.getTime() });
    const other = openClaims(key, "request-state", b, now);
    expect(opened.ok && other.ok && opened.id !== other.id).toBe(true);
    expect(a).not.toContain("create_withdrawal");
    expect(openClaims(key, "request-state", a, later)).toEqual({ ok: false, reason: "expired" });
    expect(openClaims(key, "request-state", a, new Date(later.getTime() + 1))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuse another purpose, another key, a flipped bit and garbage", () => {
    const sealed = sealClaims(key, "request-state", claims, later);
    expect(openClaims(key, "confirmation", sealed, now)).toEqual({ ok: false, reason: "tampered" });
    expect(openClaims(randomBytes(32), "request-state", sealed, now)).toEqual({
      ok: false,
      reason: "tampered",
    });
    expect(openClaims(key, "request-state", flip(sealed, 20, 3), now)).toEqual({
      ok: false,
      reason: "tampered",
    });
    expect(openClaims(key, "request-state", "garbage", now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("an expired state that was tampered with is tampered, not expired", () => {
    const sealed = sealClaims(key, "request-state", claims, now);
    expect(openClaims(key, "request-state", flip(sealed, 14, 0), later)).toEqual({
      ok: false,
      reason: "tampered",
    });
  });

  it("authentic but not a claims envelope is malformed", () => {
    const notClaims = seal(key, JSON.stringify({ hello: 1 }), "claims:request-state");
    expect(openClaims(key, "request-state", notClaims, now)).toEqual({ ok: false, reason: "malformed" });
    const notJson = seal(key, "{", "claims:request-state");
    expect(openClaims(key, "request-state", notJson, now)).toEqual({ ok: false, reason: "malformed" });
  });
});
