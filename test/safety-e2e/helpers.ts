// Shared pieces for the guard end-to-end tests: a scripted elicitation client, withdrawal
// arguments, "nothing reached SpacePay" checks, and the built server spawned over stdio.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import {
  ElicitRequestSchema,
  type ClientCapabilities,
  type ElicitRequest,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { CLI, REPO, requireBuild } from "../helpers/built-cli.js";
import type { TestPostgres } from "../helpers/postgres.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { PG_START_TIMEOUT_MS } from "../safety/backends.js";
import type { WithdrawalArgs } from "../safety/helpers.js";
import {
  RECIPIENT,
  WITHDRAWALS_PATH,
  startHarness,
  textOf,
  type Harness,
  type HarnessOptions,
  type ToolResult,
} from "../helpers/mcp-harness.js";

/** A client that can answer form-mode elicitation. */
export const CAN_ELICIT: ClientCapabilities = { elicitation: { form: {} } };

export const SEPOLIA = "eip155:11155111";

export type ElicitParams = ElicitRequest["params"];
export type ElicitScript = (
  params: ElicitParams,
  signal: AbortSignal,
) => ElicitResult | Promise<ElicitResult>;

export const accept: ElicitScript = () => ({ action: "accept", content: { confirm: true } });
export const decline: ElicitScript = () => ({ action: "decline" });
export const cancel: ElicitScript = () => ({ action: "cancel" });
/** The human walks away: answers only by failing once the server gives up and cancels the request. */
export const neverAnswer: ElicitScript = (_params, signal) =>
  new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

/** Answers every elicitation with `script` (replaceable later) and records each prompt. */
export function scriptElicitation(client: Client, script: ElicitScript) {
  const state = { script, prompts: [] as ElicitParams[] };
  client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
    state.prompts.push(request.params);
    return state.script(request.params, extra.signal);
  });
  return state;
}

export type { WithdrawalArgs };

let orderSeq = 0;
/** A withdrawal to the harness's allow-listed RECIPIENT on Base Sepolia, with a unique order id. */
export function withdrawal(overrides: Partial<WithdrawalArgs> = {}): WithdrawalArgs {
  return {
    amountInCents: 5_000,
    chainId: "base-sepolia",
    recipientAddress: RECIPIENT,
    orderId: `wd-${process.pid}-${++orderSeq}`,
    ...overrides,
  };
}

export function uniqueOrder(prefix: string): string {
  return `${prefix}-${process.pid}-${++orderSeq}`;
}

/**
 * startHarness, with the client's tool list loaded: like a real client, it then checks every
 * structuredContent against the tool's declared output schema (and throws when it does not match).
 */
export async function startListedHarness(opts: HarnessOptions): Promise<Harness> {
  const h = await startHarness(opts);
  try {
    await h.client.listTools();
  } catch (err) {
    await h.close();
    throw err;
  }
  return h;
}

export interface SharedSimulator {
  /** The file's simulator. */
  readonly sim: SimulatorHandle;
  /** The running test's own state directory (with `freshStateDir`; otherwise each harness makes one). */
  readonly stateDir: string;
  /** startListedHarness on the shared simulator (or `sharedSim`) and the test's state directory, closed after the test. */
  open(opts?: HarnessOptions): Promise<Harness>;
  /** Closes `h` now, as a server stopping mid-test (a restart). */
  stop(h: Harness): Promise<void>;
}

/**
 * Registers the hooks for a file whose tests share one simulator: faults cleared and harnesses closed
 * after each test, and with `freshStateDir` the test's `stateDir` fixture as every harness's state directory.
 */
export function useSharedSimulator(opts: { freshStateDir?: boolean } = {}): SharedSimulator {
  let sim: SimulatorHandle | undefined;
  let stateDir = "";
  let opened: Harness[] = [];
  beforeAll(async () => {
    sim = await startSimulator({ processingMs: 20 });
  });
  if (opts.freshStateDir) {
    it.beforeEach(({ stateDir: dir }) => {
      // Undefined when the file's tests come from vitest itself: they must use test/helpers/fixtures.ts's `it`.
      if (!dir)
        throw new Error("freshStateDir needs the tests declared with the `it` of test/helpers/fixtures.ts");
      stateDir = dir;
    });
  }
  afterEach(async () => {
    sim?.control.clearFaults();
    for (const h of opened.splice(0)) await h.close();
  });
  afterAll(() => sim?.close());
  const shared: SharedSimulator = {
    get sim() {
      if (!sim) throw new Error("the shared simulator starts in beforeAll");
      return sim;
    },
    get stateDir() {
      return stateDir;
    },
    async open(harness = {}) {
      const h = await startListedHarness({
        ...(stateDir && { stateDir }),
        ...harness,
        sharedSim: harness.sharedSim ?? shared.sim,
      });
      opened.push(h);
      return h;
    },
    async stop(h) {
      opened = opened.filter((x) => x !== h);
      await h.close();
    },
  };
  return shared;
}

/** Another client on the same server, tool list loaded (see startListedHarness). */
export async function connectListed(h: Harness, capabilities: ClientCapabilities = {}): Promise<Client> {
  const client = await h.connect(capabilities);
  await client.listTools();
  return client;
}

/** Runs `fn` and asserts the simulator received no API request at all while it ran. */
export async function reachesNothing<T>(sim: SimulatorHandle, fn: () => Promise<T>): Promise<T> {
  const before = sim.control.counts();
  const out = await fn();
  const after = sim.control.counts();
  expect(after.requests, "an API request reached the simulator").toBe(before.requests);
  expect(after.withdrawals).toBe(before.withdrawals);
  expect(after.payments).toBe(before.payments);
  return out;
}

/** Asserts an isError refusal whose text names the rule and the configured value. */
export function expectRefusal(result: ToolResult, rule: string, configured: string | number): void {
  expect(result.isError, `expected a refusal, got ${textOf(result)}`).toBe(true);
  const text = textOf(result);
  expect(text).toContain(rule);
  expect(text).toContain(`${rule}=${configured}`);
  expect(text).toMatch(/Nothing was sent/);
}

export function withdrawalPosts(sim: SimulatorHandle) {
  return sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH });
}

export interface StdioServer {
  client: McpClient;
  pid: number;
  stderr(): string;
  close(): Promise<void>;
}

/** Whether process `pid` still exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Spawns `node dist/cli.js` with exactly `env` (plus the SDK's safe defaults such as PATH and HOME). */
export async function spawnStdioServer(env: Record<string, string>): Promise<StdioServer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    cwd: REPO,
    env,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new McpClient({ name: "safety-e2e", version: "1" }, { capabilities: {} });
  try {
    await client.connect(transport);
  } catch (err) {
    await transport.close().catch(() => {});
    throw new Error(`dist/cli.js did not start: ${(err as Error).message}\n${stderr}`);
  }
  return {
    client,
    pid: transport.pid!,
    stderr: () => stderr,
    close: () => client.close(),
  };
}

/**
 * Registers the hooks of a file whose built servers run on PostgreSQL: the build checked, then the run's
 * shared PostgreSQL and a simulator ready before its tests and stopped after them.
 */
export function usePostgresAndSimulator(): {
  readonly postgres: TestPostgres;
  readonly sim: SimulatorHandle;
} {
  let postgres: TestPostgres | undefined;
  let sim: SimulatorHandle | undefined;
  beforeAll(async () => {
    requireBuild();
    [postgres, sim] = await Promise.all([sharedPostgres(), startSimulator({ processingMs: 20 })]);
  }, PG_START_TIMEOUT_MS);
  afterAll(async () => {
    await sim?.close();
    await postgres?.stop();
  }, PG_START_TIMEOUT_MS);
  return {
    get postgres() {
      if (!postgres) throw new Error("PostgreSQL starts in beforeAll");
      return postgres;
    },
    get sim() {
      if (!sim) throw new Error("the simulator starts in beforeAll");
      return sim;
    },
  };
}
