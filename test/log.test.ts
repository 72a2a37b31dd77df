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
});
