// The every-method scope table (select-tools.ts METHOD_SCOPES): every request handler a server
// registers, on each revision and transport shape, has a row, and every row is a method some server
// answers. A handler added without deciding its scope fails here, before an OAuth caller can reach it
// without one.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { createServer, type ServerDeps, type SpacePayServer } from "../../src/server/create-server.js";
import { METHOD_SCOPES, SCOPE_POLICY, SCOPES, listsInstances } from "../../src/server/select-tools.js";
import type { SpacePayApi } from "../../src/spacepay/types.js";
import { REVISION, envelope } from "../helpers/mcp2026.js";

type Shape = Pick<ServerDeps, "era" | "stateless">;
const SHAPES: Record<string, Shape> = {
  "stdio, 2025-11-25": { era: "legacy" },
  "stdio, 2026-07-28": { era: "modern" },
  "HTTP, 2025-11-25": { era: "legacy", stateless: true },
  "HTTP, 2026-07-28": { era: "modern", stateless: true },
  "connected by hand": {},
};

/** The methods one server answers: its registered request handlers, and the listen its entry serves. */
function methodsOf(server: SpacePayServer, shape: Shape): string[] {
  const handlers = (server.mcp.server as unknown as { _requestHandlers: Map<string, unknown> })
    ._requestHandlers;
  expect(handlers).toBeInstanceOf(Map);
  const methods = [...handlers.keys()];
  // 2026-07-28 has no resources/subscribe: the serving entry answers subscriptions/listen for a server
  // that declares the capability (create-server.ts).
  if (shape.era === "modern" && server.mcp.server.getCapabilities().resources?.subscribe)
    methods.push("subscriptions/listen");
  return methods;
}

/**
 * A server of each shape as its entry serves it: a 2026-07-28 server has answered one request through
 * the SDK's entry, which installs the modern-only handlers (server/discover) on the instance.
 */
async function answered(shape: Shape): Promise<string[]> {
  let made: SpacePayServer | undefined;
  const make = () =>
    (made = createServer({
      api: {} as SpacePayApi,
      info: { mode: "test", apiHost: "api.example" },
      ...shape,
    }));
  if (shape.era === "modern") {
    const handler = createMcpHandler(() => make().mcp, { legacy: "reject" });
    const res = await handler.fetch(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": REVISION,
          "mcp-method": "server/discover",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "server/discover",
          params: { _meta: envelope() },
        }),
      }),
    );
    expect(res.status, await res.text()).toBe(200);
    await handler.close();
  } else make();
  const methods = methodsOf(made!, shape);
  await made!.close();
  return methods;
}

describe("every MCP method has a scope", () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`${name}: every method the server answers has a row`, async () => {
      const methods = await answered(shape);
      expect(methods).toContain("tools/call");
      expect(methods.filter((m) => !Object.hasOwn(METHOD_SCOPES, m))).toEqual([]);
    });
  }

  it("and every row is a method some server answers (both revisions covered)", async () => {
    const all = new Set<string>();
    for (const shape of Object.values(SHAPES)) for (const m of await answered(shape)) all.add(m);
    expect(Object.keys(METHOD_SCOPES).filter((m) => !all.has(m))).toEqual([]);
    for (const m of ["server/discover", "initialize", "subscriptions/listen", "resources/subscribe"])
      expect(all, m).toContain(m);
  });

  it("whatever shows payments or withdrawals needs spacepay:read; tools/call asks the tool", () => {
    for (const m of [
      "resources/read",
      "completion/complete",
      "subscriptions/listen",
      "resources/subscribe",
      "resources/unsubscribe",
    ])
      expect(SCOPE_POLICY.scopeOf(m, {}), m).toBe(SCOPES.read);
    for (const m of ["initialize", "server/discover", "ping", "tools/list", "prompts/list", "resources/list"])
      expect(SCOPE_POLICY.scopeOf(m, {}), m).toBeNull();
    expect(SCOPE_POLICY.scopeOf("tools/call", { name: "create_withdrawal" })).toBe(SCOPES.withdrawals);
    expect(SCOPE_POLICY.scopeOf("tools/call", { name: "get_payment" })).toBe(SCOPES.read);
    // Unknown to the server: the MCP layer answers it (method or tool not found), not the scope check.
    expect(SCOPE_POLICY.scopeOf("tools/call", { name: "no_such_tool" })).toBeNull();
    expect(SCOPE_POLICY.scopeOf("constructor", {})).toBeNull();
    expect(listsInstances({ subject: "a", scopes: ["openid"] })).toBe(false);
    expect(listsInstances({ subject: "a", scopes: [SCOPES.read] })).toBe(true);
    expect(listsInstances(undefined)).toBe(true);
  });

  it("the README's table of methods and scopes says what the table decides", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const rows = readme.slice(readme.indexOf("| method ")).split("\n\n")[0]!.split("\n").slice(2);
    const documented: Record<string, unknown> = {};
    for (const row of rows) {
      const [methods, needs] = row.split("|").slice(1, 3) as [string, string];
      const need = needs.trim().startsWith("`spacepay:read`")
        ? SCOPES.read
        : needs.includes("the tool's scope")
          ? "tool"
          : needs.trim().startsWith("a valid token")
            ? null
            : needs;
      for (const m of methods.matchAll(/`([^`]+)`/g)) documented[m[1]!] = need;
    }
    expect(documented).toEqual(METHOD_SCOPES);
  });
});
