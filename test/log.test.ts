import { describe, expect, it, vi } from "vitest";
import { log, redact, registerSecret, setLogLevel } from "../src/log.js";

describe("stderr logger", () => {
  it("masks registered secrets in every line", () => {
    registerSecret("sk_test_supersecret123");
    expect(redact("key=sk_test_supersecret123 and again sk_test_supersecret123")).toBe(
      "key=[redacted] and again [redacted]",
    );
  });

  it("writes to stderr only, and respects the level", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const out = vi.spyOn(process.stdout, "write");
    setLogLevel("info");
    log("debug", "hidden");
    log("info", "shown", { token: "sk_test_supersecret123" });
    expect(err).toHaveBeenCalledTimes(1);
    expect(String(err.mock.calls[0]?.[0])).toContain("shown");
    expect(String(err.mock.calls[0]?.[0])).not.toContain("supersecret");
    expect(out).not.toHaveBeenCalled();
    err.mockRestore();
    out.mockRestore();
  });

  it("masks a field named like a secret whatever its value, without registering the value", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    setLogLevel("info");
    log("info", "call", { paymentSecret: "caller-chosen-value", tool: "get_payment" });
    log("info", "later caller-chosen-value");
    const lines = err.mock.calls.map((c) => String(c[0]));
    expect(lines[0]).toContain('"paymentSecret":"[redacted]"');
    expect(lines[0]).toContain('"tool":"get_payment"');
    // Not registered: the same text elsewhere is not a secret and stays readable.
    expect(lines[1]).toContain("later caller-chosen-value");
    err.mockRestore();
  });
});
