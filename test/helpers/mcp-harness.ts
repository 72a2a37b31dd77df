// A simulator plus the real runtime (config → client → guard → server) behind an in-memory MCP
// client: what an agent sees, without processes or sockets beyond the simulator's loopback port.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult, ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime.js";
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from "../../src/simulator/index.js";
import { TOOL_NAMES } from "../../src/server/tools/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

export const RECIPIENT = "0x1111111111111111111111111111111111111111";
export const BASE_SEPOLIA = "eip155:84532";
/** Where the simulator (like SpacePay) takes payments and withdrawals. */
export const PAYMENTS_PATH = "/v1/external/secretkey-auth/payments";
export const WITHDRAWALS_PATH = "/v1/external/secretkey-auth/withdrawals";

/** A tool result, its structured content left loose for tests to read. */
export type ToolResult = CallToolResult & { structuredContent?: any };

export interface Harness {
  sim: SimulatorHandle;
  runtime: Runtime;
  client: Client;
  stateDir: string;
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** A second client on the same runtime (another conversation). */
  connect(capabilities?: ClientCapabilities): Promise<Client>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  simulator?: SimulatorOptions;
  capabilities?: ClientCapabilities;
  /** Reuse a simulator (and skip closing it). */
  sharedSim?: SimulatorHandle;
  /** Reuse a state directory (and skip deleting it), e.g. to prove state survives a restart. */
  stateDir?: string;
  /** Extra runtime options (e.g. an injected audit file layer). */
  runtime?: RuntimeOptions;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const sim = opts.sharedSim ?? (await startSimulator({ processingMs: 20, ...opts.simulator }));
  const stateDir = opts.stateDir ?? makeTempDir();
  const config = loadConfig({
    env: {
      SPACEPAY_SECRET_KEY: "sk_test_simulator",
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_STATE_DIR: stateDir,
      SPACEPAY_TIMEOUT_MS: "2000",
      SPACEPAY_CONFIRM: "off",
      SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
      ...opts.env,
    },
    knownTools: TOOL_NAMES,
  });
  const runtime = await createRuntime(config, {
    pollIntervalMs: 30,
    ...opts.runtime,
  });
  const clients: Client[] = [];
  const connect = async (capabilities: ClientCapabilities = opts.capabilities ?? {}) => {
    const server = runtime.newServer();
    const client = new Client({ name: "harness", version: "1" }, { capabilities });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.mcp.connect(b), client.connect(a)]);
    clients.push(client);
    return client;
  };
  const client = await connect();
  return {
    sim,
    runtime,
    client,
    stateDir,
    connect,
    call: (name, args = {}) => client.callTool({ name, arguments: args }) as Promise<ToolResult>,
    async close() {
      for (const c of clients) await c.close();
      await runtime.close();
      if (!opts.sharedSim) await sim.close();
      if (!opts.stateDir) removeTempDir(stateDir);
    },
  };
}

/**
 * The suite's one harness, started with `opts` before its tests (beforeAll) and closed after them: what it
 * returns reads through to that harness, so a suite declares it once as `const h = useHarness(...)`.
 */
export function useHarness(opts: HarnessOptions = {}): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await startHarness(opts);
  });
  afterAll(() => current?.close());
  const get = (): Harness => {
    if (!current) throw new Error("useHarness: the harness starts in beforeAll");
    return current;
  };
  return {
    get sim() {
      return get().sim;
    },
    get runtime() {
      return get().runtime;
    },
    get client() {
      return get().client;
    },
    get stateDir() {
      return get().stateDir;
    },
    call: (name, args) => get().call(name, args),
    connect: (capabilities) => get().connect(capabilities),
    close: () => get().close(),
  };
}

/** The text of a tool result. */
export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}
