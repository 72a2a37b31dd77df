// The built server as a client starts it: `node dist/cli.js` over stdio, configured by environment.
import { afterAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { LISTED_TOOLS } from "../helpers/listed-tools.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

let sim: SimulatorHandle;
let stateDir: string;

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  sim = await startSimulator({ samplePayments: 5 });
  stateDir = fileDir;
});
afterAll(async () => {
  await sim?.close();
});

async function spawnServer(env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? "", SPACEPAY_STATE_DIR: stateDir, ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d) => (stderr += String(d)));
  const client = new Client({ name: "stdio-test", version: "1" });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe("stdio entry", () => {
  it("serves tools against the configured API, logging only to stderr", async () => {
    const { client, stderr } = await spawnServer({
      SPACEPAY_SECRET_KEY: "sk_test_simulator",
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_LOG_LEVEL: "debug",
    });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(LISTED_TOOLS);
      const res = await client.callTool({ name: "list_payments", arguments: { limit: 2 } });
      expect(res.isError).toBeFalsy();
      expect((res.structuredContent as { payments: unknown[] }).payments).toHaveLength(2);
      expect(stderr()).toMatch(/configured for 127\.0\.0\.1:\d+ in test mode/);
      expect(stderr()).not.toContain("sk_test_simulator");
    } finally {
      await client.close();
    }
  }, 30_000);

  it("runs in demo mode with no key and no URL, and says so", async () => {
    const { client, stderr } = await spawnServer({});
    try {
      const res = await client.callTool({ name: "list_payments", arguments: { limit: 1 } });
      expect((res.structuredContent as { mode: string }).mode).toBe("demo");
      expect(stderr()).toMatch(/demo mode: simulated SpacePay, no real money/);
      expect(client.getInstructions()).toMatch(/Demo mode/);
    } finally {
      await client.close();
    }
  }, 30_000);

  it("refuses to start on bad configuration, naming the variable", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      env: { PATH: process.env.PATH ?? "", SPACEPAY_API_URL: sim.url },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d) => (stderr += String(d)));
    const client = new Client({ name: "stdio-test", version: "1" });
    await expect(client.connect(transport)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(stderr).toMatch(/SPACEPAY_API_URL is set but SPACEPAY_SECRET_KEY is not/);
  }, 30_000);
});
