// Issue 11 item 4: a `paymentSecret` the model passes is masked in that call only. It is never
// registered process-wide, so it cannot blind the audit trail (an address, a tool name or a piece of
// JSON passed as a "secret" used to mask every later line, or break it); and it never shows itself.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { startHarness, RECIPIENT, type Harness } from "../helpers/mcp-harness.js";
import { setLogLevel } from "../../src/log.js";
import { BASE_SEPOLIA, textOf, type ToolResult } from "./helpers.js";

let h: Harness;
let stderr: string[] = [];
let notifications: string[] = [];
let paymentId: string;

beforeAll(async () => {
  setLogLevel("debug");
  vi.spyOn(console, "error").mockImplementation(
    (...a: unknown[]) => void stderr.push(a.map(String).join(" ")),
  );
  h = await startHarness({ simulator: { processingMs: 0 } });
  await h.client.setLoggingLevel("debug");
  h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    notifications.push(JSON.stringify(n.params));
  });
  const created: ToolResult = await h.call("create_payment", {
    amountInCents: 1_000,
    orderId: "caller-secrets",
  });
  expect(created.isError, textOf(created)).toBeFalsy();
  paymentId = created.structuredContent.payment.id;
});
afterEach(() => {
  stderr = [];
  notifications = [];
});
afterAll(async () => {
  await h?.close();
  vi.restoreAllMocks();
  setLogLevel("info");
});

function auditLines(): string[] {
  return readFileSync(path.join(h.stateDir, "audit.jsonl"), "utf8").trim().split("\n");
}

/** Every tool that takes a paymentSecret, called with `secret`. */
async function passSecret(secret: string): Promise<ToolResult[]> {
  return [
    await h.call("refresh_status", { paymentId, paymentSecret: secret }),
    await h.call("create_quote", { paymentId, paymentSecret: secret, chainId: "base-sepolia" }),
    await h.call("wait_for_payment", { paymentId, paymentSecret: secret, timeoutSeconds: 1 }),
  ];
}

describe("a caller's paymentSecret does not blind the audit trail", () => {
  it.each([
    ["the recipient address", RECIPIENT],
    ["a tool name", "create_withdrawal"],
    ["a piece of the audit line", '"event":"intent"'],
  ])("passing %s as paymentSecret leaves later audit lines whole and readable", async (_, secret) => {
    await passSecret(secret);
    const before = auditLines().length;
    const res: ToolResult = await h.call("create_withdrawal", {
      amountInCents: 300,
      chainId: BASE_SEPOLIA,
      recipientAddress: RECIPIENT,
      orderId: `after-${before}`,
    });
    expect(res.isError, textOf(res)).toBeFalsy();
    expect(textOf(res)).toContain(RECIPIENT);

    const lines = auditLines().slice(before);
    expect(lines).toHaveLength(2);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, any>);
    expect(entries.map((e) => e.event)).toEqual(["intent", "outcome"]);
    expect(entries.every((e) => e.tool === "create_withdrawal")).toBe(true);
    expect(entries[0]!.args.summary.recipientAddress).toBe(RECIPIENT);
    expect(lines.join("\n")).not.toContain("[redacted]");
    // The debug log still names the tool it ran.
    expect(stderr.join("\n")).toContain("tool create_withdrawal answered");
  });
});

describe("the caller's secret itself is never shown", () => {
  it("not in tool output, stderr, MCP log notifications or the audit file", async () => {
    const secret = "ps_caller_supplied_5e3f9a1c";
    const results = await passSecret(secret);
    const shown = results.map((r) => textOf(r) + JSON.stringify(r.structuredContent ?? {})).join("\n");
    expect(results.some((r) => r.isError)).toBe(true); // SpacePay refused the wrong secret
    for (const [where, text] of [
      ["tool output", shown],
      ["stderr", stderr.join("\n")],
      ["log notifications", notifications.join("\n")],
      ["audit", auditLines().join("\n")],
    ] as const) {
      expect(text.includes(secret), `${where} shows the caller's secret`).toBe(false);
    }
    // The calls did go out and were logged: the check above is not vacuous.
    expect(stderr.join("\n")).toMatch(/debug: (GET|POST) \/v1\//);
  });
});
