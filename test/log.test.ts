import { afterEach, describe, expect, it, vi } from "vitest";
import { log, redact, registerSecret, setLogFormat, setLogLevel, setTraceIdSource } from "../src/log.js";

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

describe("line formats", () => {
  const capture = (fn: () => void): string[] => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      fn();
      return err.mock.calls.flatMap((c) => String(c[0]).split("\n"));
    } finally {
      err.mockRestore();
    }
  };
  afterEach(() => {
    setLogFormat("text");
    setTraceIdSource(() => undefined);
  });

  it("text: every line of a multi-line message starts with the time and level", () => {
    setLogLevel("info");
    const out = capture(() => log("error", "configuration problem:\n- one\n- two"));
    expect(out).toHaveLength(3);
    for (const line of out) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z \[spacepay-mcp\] error: /);
  });

  it("json: one object per line, its own time, level and msg kept over same-named fields, the trace id when tracing", () => {
    setLogLevel("info");
    setLogFormat("json");
    setTraceIdSource(() => "0af7651916cd43dd8448eb211c80319c");
    registerSecret("sk_test_formatsecret42");
    const out = capture(() =>
      log("warn", "two\nlines sk_test_formatsecret42", { msg: "spoof", level: "debug", n: 1, apiToken: "x" }),
    );
    expect(out).toHaveLength(1);
    const entry = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(entry).toEqual({
      time: expect.stringMatching(/Z$/),
      level: "warn",
      msg: "two\nlines [redacted]",
      n: 1,
      apiToken: "[redacted]",
      trace_id: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
  });
});
