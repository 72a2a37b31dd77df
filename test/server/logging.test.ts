// MCP logging (2025, a session): API calls are logged as notifications/message only to a client that
// asked (logging/setLevel), at the level it asked for, only for its own calls, and never with credentials.
import { describe, expect, it } from "vitest";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { useHarness, type Harness } from "../helpers/mcp-harness.js";

const h = useHarness({ simulator: { samplePayments: 2 } });

async function messagesDuring(
  level: "debug" | "warning" | null,
  run: (c: Harness["client"]) => Promise<unknown>,
) {
  const client = await h.connect();
  const seen: Array<{ level: string; data: unknown }> = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.push({ level: n.params.level, data: n.params.data });
  });
  if (level) await client.setLoggingLevel(level);
  await run(client);
  await new Promise((r) => setTimeout(r, 50));
  return seen;
}

describe("MCP logging", () => {
  it("sends nothing to a client that never set a level", async () => {
    const seen = await messagesDuring(null, (c) => c.callTool({ name: "list_payments", arguments: {} }));
    expect(seen).toEqual([]);
  });

  it("logs each API call at debug, without credentials, once the client asks", async () => {
    const seen = await messagesDuring("debug", (c) => c.callTool({ name: "list_payments", arguments: {} }));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.level).toBe("debug");
    expect(JSON.stringify(seen[0]!.data)).toMatch(/secretkey-auth\/payments/);
    expect(JSON.stringify(seen)).not.toContain("sk_test_simulator");
  });

  it("never logs another session's calls to this one", async () => {
    const other = await h.connect();
    const seen = await messagesDuring("debug", async () => {
      await other.callTool({ name: "list_payments", arguments: {} });
      // Including the payment poll loop its wait starts (shared by the process, logged to stderr only).
      const created = await h.runtime.api.createPayment({ amountInCents: 1500, orderId: "log-watch" });
      await other.callTool({
        name: "wait_for_payment",
        arguments: { paymentId: created.data.payment.id, timeoutSeconds: 1 },
      });
    });
    expect(seen).toEqual([]);
  });

  it("at warning, logs failed calls but not successful ones", async () => {
    const seen = await messagesDuring("warning", async (c) => {
      await c.callTool({ name: "list_payments", arguments: {} });
      await c.callTool({
        name: "get_payment",
        arguments: { paymentId: "00000000-0000-4000-8000-000000000000" },
      });
    });
    expect(seen.map((m) => m.level)).toEqual(["warning"]);
  });
});
