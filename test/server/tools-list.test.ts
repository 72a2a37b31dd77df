// The tools/list contract: names, schemas and annotations, committed as a snapshot so any change to
// what agents see shows up in review.
import { describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createServer } from "../../src/server/create-server.js";
import type { SpacePayApi } from "../../src/spacepay/types.js";

async function listTools() {
  const srv = createServer({ api: {} as SpacePayApi, info: { mode: "test", apiHost: "api.example" } });
  const client = new Client({ name: "snapshot", version: "1" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([srv.mcp.connect(b), client.connect(a)]);
  const { tools } = await client.listTools();
  await client.close();
  await srv.close();
  return tools;
}

describe("tools/list", () => {
  it("matches the committed snapshot", async () => {
    const tools = await listTools();
    await expect(JSON.stringify(tools, null, 2) + "\n").toMatchFileSnapshot(
      "../__snapshots__/tools-list.json",
    );
  });

  it("gives every tool a title, all four annotations, and a description on every parameter", async () => {
    const tools = await listTools();
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof t.annotations?.[hint], `${t.name}.${hint}`).toBe("boolean");
      }
      expect(t.outputSchema?.type, t.name).toBe("object");
      const props = (t.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      for (const [name, schema] of Object.entries(props)) {
        expect(schema.description, `${t.name}.${name}`).toBeTruthy();
      }
    }
  });

  it("gives every input schema a properties object, empty for tools without arguments", async () => {
    const tools = await listTools();
    for (const t of tools) expect(t.inputSchema.properties, t.name).toBeTypeOf("object");
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("get_wallet_balances")?.inputSchema).toEqual({ type: "object", properties: {} });
  });

  it("annotates what each tool changes at SpacePay", async () => {
    const byName = new Map((await listTools()).map((t) => [t.name, t]));
    const hints = (name: string) => byName.get(name)?.annotations;
    expect(hints("create_withdrawal")).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(hints("create_payment")).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    // "Create or update": a new quote replaces the token's active one.
    expect(hints("create_quote")).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    // Only makes SpacePay look at the chain sooner.
    expect(hints("refresh_status")?.readOnlyHint).toBe(true);
    expect(hints("get_payment")?.readOnlyHint).toBe(true);
  });
});
