// What a confirmation binds to (canonical arguments), how a changed call is explained, and the
// prompt a person sees.
import { describe, expect, it } from "vitest";
import {
  buildElicitation,
  canonicalJson,
  describeChanges,
  diffArgs,
  hashToken,
  newConfirmationToken,
} from "../../src/safety/confirm.js";
import { withdrawalArgs, withdrawalSummary } from "./helpers.js";

describe("canonical arguments", () => {
  it("ignores key order, undefined values and the token, but keeps idempotencyKey", () => {
    const a = canonicalJson({
      b: 1,
      a: { y: 2, x: undefined, z: [1, { q: 1, p: 2 }] },
      confirmationToken: "cfm_x",
    });
    const b = canonicalJson({ a: { z: [1, { p: 2, q: 1 }], y: 2 }, b: 1 });
    expect(a).toBe(b);
    expect(canonicalJson({ a: 1, idempotencyKey: "k" })).not.toBe(canonicalJson({ a: 1 }));
  });

  it("names each changed, added or removed argument", () => {
    const confirmed = canonicalJson(withdrawalArgs());
    const changes = diffArgs(confirmed, {
      ...withdrawalArgs({ amountInCents: 9_999 }),
      orderId: undefined,
      memo: "x",
    });
    expect(changes.map((c) => c.name)).toEqual(["amountInCents", "memo", "orderId"]);
    expect(changes[0]).toMatchObject({ confirmed: 2_500, presented: 9_999 });
  });
});

describe("tokens", () => {
  it("are prefixed, carry at least 128 random bits, and are stored only as a hash", () => {
    const token = newConfirmationToken();
    expect(token).toMatch(/^cfm_[A-Za-z0-9_-]{32,}$/);
    expect(Buffer.from(token.slice(4), "base64url").length * 8).toBeGreaterThanOrEqual(128);
    expect(newConfirmationToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token.slice(4));
  });
});

describe("elicitation prompt", () => {
  it("states the action, dollars, chain, recipient, order and mode, and asks for one required boolean", () => {
    const req = buildElicitation(withdrawalSummary(withdrawalArgs({ amountInCents: 123_456 })), "live");
    expect(req.message).toContain("$1,234.56 USD");
    expect(req.message).toContain("0x1111111111111111111111111111111111111111");
    expect(req.message).toContain("eip155:84532");
    expect(req.message).toContain("wd-1");
    expect(req.message).toContain("LIVE");
    expect(req.requestedSchema).toEqual({
      type: "object",
      properties: { confirm: expect.objectContaining({ type: "boolean" }) },
      required: ["confirm"],
    });
    expect(req.requestedSchema.properties.confirm).not.toHaveProperty("default");
  });

  it("is built from cleaned values: no invisible character reaches the person approving", () => {
    const hidden = "\u{E0049}\u{E0047}\u2028\u202e\u200b\u00ad\u034f\ufe0f";
    const req = buildElicitation(
      {
        action: "create_deposit",
        amountInCents: null,
        currency: "USD",
        orderId: `ord${hidden}-1`,
        customerRefId: `cust${hidden}-2`,
        redirectUrl: `https://shop.example/${hidden}thanks`,
      },
      "test",
    );
    for (const ch of hidden)
      expect(req.message.includes(ch), `U+${ch.codePointAt(0)!.toString(16)}`).toBe(false);
    expect(req.message).toContain('for order "ord-1"');
    expect(req.message).toContain('Customer reference: "cust-2"');
    expect(req.message).toContain('the customer is sent to "https://shop.example/thanks"');
  });
});

describe("changed arguments", () => {
  it("are shown cleaned and cut on code points", () => {
    const confirmed = canonicalJson({ orderId: "a" });
    const text = describeChanges(diffArgs(confirmed, { orderId: "\u200b" + "😀".repeat(100) }));
    expect(text).not.toContain("\u200b");
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(text).toContain("😀…");
  });
});
