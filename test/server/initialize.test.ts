// Raw JSON-RPC over the built server's stdio: a malformed `initialize` gets an error a client can act
// on (-32602 naming the missing field), and the connection still accepts a correct one afterwards.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterEach, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function startServer(stateDir: string) {
  requireBuild();
  const child = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? "", SPACEPAY_STATE_DIR: stateDir },
    stdio: ["pipe", "pipe", "ignore"],
  });
  cleanups.push(async () => {
    // Stopped before the test's state directory is removed: it may still be writing there.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    }
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async request(message: Record<string, unknown>): Promise<Record<string, any>> {
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
      const next = await lines.next();
      return JSON.parse(String(next.value));
    },
  };
}

describe("initialize over stdio", () => {
  it("answers -32602 with a short message when protocolVersion is missing, then accepts a good one", async ({
    stateDir,
  }) => {
    const server = startServer(stateDir);
    const clientInfo = { name: "raw", version: "1" };
    const bad = await server.request({
      id: 1,
      method: "initialize",
      params: { capabilities: {}, clientInfo },
    });
    expect(bad.id).toBe(1);
    expect(bad.error.code).toBe(-32602);
    expect(bad.error.message).toContain("params.protocolVersion");
    expect(bad.error.message.length).toBeLessThan(200);
    expect(bad.error.message).not.toMatch(/"code":|invalid_type/);

    const good = await server.request({
      id: 2,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo },
    });
    expect(good.result.protocolVersion).toBe("2025-06-18");
    expect(good.result.serverInfo.name).toBe("spacepay-mcp");
  }, 20_000);
});
