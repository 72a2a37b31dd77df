// Shared pieces for the reliability tests: the built server spawned over stdio with every
// byte it writes captured (raw stdout, stderr, MCP log notifications), and small result helpers.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  LoggingMessageNotificationSchema,
  type ClientCapabilities,
  type JSONRPCMessage,
  type LoggingMessageNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { AuditEntry } from "../../src/safety/audit.js";
import { DEFAULT_SECRET_KEY, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";
import {
  BASE_SEPOLIA,
  PAYMENTS_PATH,
  RECIPIENT,
  WITHDRAWALS_PATH,
  type ToolResult,
} from "../helpers/mcp-harness.js";

// The harness's vocabulary and the built CLI, for the tests that spawn the built server.
export {
  BASE_SEPOLIA,
  PAYMENTS_PATH,
  WITHDRAWALS_PATH,
  textOf,
  type ToolResult,
} from "../helpers/mcp-harness.js";
export { CLI, REPO, requireBuild } from "../helpers/built-cli.js";

/** A fresh order id per call, so tests sharing a simulator never collide. */
export function uniqueOrder(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The client side of stdio, over a child we spawned ourselves: it keeps the raw stdout text (to
 * search it for secrets) and the ChildProcess (to SIGKILL it).
 */
class CapturingStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();
  stdout = "";

  constructor(readonly child: ChildProcessWithoutNullStreams) {}

  async start(): Promise<void> {
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString("utf8");
      this.buffer.append(chunk);
      for (;;) {
        let message: JSONRPCMessage | null;
        try {
          message = this.buffer.readMessage();
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        if (message === null) break;
        this.onmessage?.(message);
      }
    });
    this.child.on("close", () => this.onclose?.());
    this.child.on("error", (err) => this.onerror?.(err));
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.child.stdin.writable) return reject(new Error("server stdin is closed"));
      this.child.stdin.write(serializeMessage(message), (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
  }
}

export interface SpawnedServer {
  client: Client;
  child: ChildProcessWithoutNullStreams;
  /** Everything the server wrote to stdout (the protocol stream). */
  stdout(): string;
  stderr(): string;
  /** notifications/message the server sent. */
  logs: LoggingMessageNotification["params"][];
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** Closes stdin (the normal stop) and waits for the exit, killing it after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** The built server over stdio with exactly `env` (and PATH), its client declaring `capabilities`. */
export async function spawnServer(
  env: Record<string, string>,
  capabilities: ClientCapabilities = {},
): Promise<SpawnedServer> {
  requireBuild();
  const child = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const transport = new CapturingStdioTransport(child);
  const client = new Client({ name: "reliability", version: "1" }, { capabilities });
  const logs: LoggingMessageNotification["params"][] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  await client.connect(transport);
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return {
    client,
    child,
    stdout: () => transport.stdout,
    stderr: () => stderr,
    logs,
    call: (name, args = {}) => client.callTool({ name, arguments: args }) as Promise<ToolResult>,
    kill,
    async close(graceMs = 3_000) {
      await client.close().catch(() => {});
      const timer = setTimeout(() => void kill(), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The built server against `sim`, on `stateDir` (so a second one finds what the first left), with the
 * harness's RECIPIENT allow-listed; `env` adds to it or overrides it.
 */
export function spawnOnState(
  sim: SimulatorHandle,
  stateDir: string,
  env: Record<string, string>,
  capabilities: ClientCapabilities = {},
): Promise<SpawnedServer> {
  return spawnServer(
    {
      SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_STATE_DIR: stateDir,
      SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
      ...env,
    },
    capabilities,
  );
}

/** The entries of `stateDir`'s audit log, oldest first. */
export function readAudit(stateDir: string): AuditEntry[] {
  return readFileSync(path.join(stateDir, "audit.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);
}

/** Polls `check` every 10 ms until it is true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Creates a record straight through SpacePay's API (as another system of the merchant's might): its id. */
async function createThroughApi(
  sim: SimulatorHandle,
  path: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await fetch(sim.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-spacepay-secret-key": sim.control.info().secretKey },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { paymentId?: string; id?: string };
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json.paymentId ?? json.id!;
}

/**
 * A $42 payment created straight through SpacePay's API, so it can hold text the server's own tools
 * would refuse in arguments; `extra` adds to or overrides its fields. Its id.
 */
export function paymentThroughApi(
  sim: SimulatorHandle,
  orderId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return createThroughApi(sim, PAYMENTS_PATH, {
    type: "payment",
    amount: 4_200,
    currency: "USD",
    orderId,
    ...extra,
  });
}

/** A withdrawal to RECIPIENT on Base Sepolia created straight through SpacePay's API, likewise. Its id. */
export function withdrawalThroughApi(
  sim: SimulatorHandle,
  amountInCents: number,
  orderId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return createThroughApi(sim, WITHDRAWALS_PATH, {
    amountInCents,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
    orderId,
    currency: "USD",
    ...extra,
  });
}

/**
 * Every unhandled promise rejection while the file runs: listened for from before the file's own
 * beforeAll to after its afterAll (call this before registering them).
 */
export function recordUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
  });
  return unhandled;
}

/**
 * Registers the hooks of a file whose tests spawn built servers against one simulator: it starts before
 * the file's tests; after each test the servers in `spawned` are killed and the simulator's faults cleared.
 */
export function useSimulatorForSpawned(): { readonly sim: SimulatorHandle; spawned: SpawnedServer[] } {
  let sim: SimulatorHandle | undefined;
  const spawned: SpawnedServer[] = [];
  beforeAll(async () => {
    sim = await startSimulator({ processingMs: 20 });
  });
  afterEach(async () => {
    for (const s of spawned.splice(0)) await s.kill();
    sim?.control.clearFaults();
  });
  afterAll(() => sim?.close());
  return {
    get sim() {
      if (!sim) throw new Error("the simulator starts in beforeAll");
      return sim;
    },
    spawned,
  };
}
