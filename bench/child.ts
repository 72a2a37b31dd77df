// Child processes for the benchmark: MCP servers spoken to in raw newline-delimited JSON-RPC over stdio,
// and the simulator as its own process. Every child is tracked so a run can prove none is left behind.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const DEFAULT_CLI = path.join(ROOT, "dist", "cli.js");
export const BARE_SERVER = path.join(ROOT, "bench", "bare-server.mjs");
export const SDK_FLOOR = path.join(ROOT, "bench", "sdk-floor.mjs");
export const SDK_FLOOR_HTTP = path.join(ROOT, "bench", "sdk-floor-http.mjs");
export const SDK_FLOOR_STDIO = path.join(ROOT, "bench", "sdk-floor-stdio.mjs");
export const SECRET_KEY = "sk_test_simulator";
/** The 2025 era's newest revision: `initialize` first, then plain requests. */
export const PROTOCOL_VERSION = "2025-11-25";
/** The stateless revision: no handshake; every request carries the envelope below in `_meta`. */
export const PROTOCOL_2026 = "2026-07-28";
export type Era = "2025" | "2026";

/** The per-request envelope a 2026-07-28 client sends in `params._meta`, as SDK clients fill it. */
export const ENVELOPE_2026: Readonly<Record<string, unknown>> = {
  "io.modelcontextprotocol/protocolVersion": PROTOCOL_2026,
  "io.modelcontextprotocol/clientInfo": { name: "spacepay-bench", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

const live = new Set<ChildProcess>();
const spawned: number[] = [];
// The simulator does not watch its stdin, so if the bench dies mid-run (an exception, a closed stdout)
// it would outlive us; the MCP servers exit on their own when stdin closes.
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Every pid this module has spawned (the smoke test checks that none is still running). */
export function spawnedPids(): readonly number[] {
  return spawned;
}

function track(child: ChildProcess): ChildProcess {
  if (child.pid !== undefined) spawned.push(child.pid);
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Resolves once the child has exited; SIGTERM after `graceMs`, SIGKILL after twice that. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const term = setTimeout(() => child.kill("SIGTERM"), graceMs);
  const kill = setTimeout(() => child.kill("SIGKILL"), graceMs * 2);
  await exited;
  clearTimeout(term);
  clearTimeout(kill);
}

/** Kills whatever is still running (the orchestrator's last resort, on errors). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map((c) => {
      c.kill("SIGKILL");
      return stopChild(c, 50);
    }),
  );
}

export function requireCli(cli: string): void {
  if (!existsSync(cli)) {
    throw new Error(`${path.relative(ROOT, cli) || cli} is missing: run \`npm run build\` first`);
  }
}

export interface ServerSpec {
  name: string;
  args: string[];
  env: Record<string, string>;
}

/** Our server as a client launches it: demo mode off, pointed at a simulator, durable state in `stateDir`. */
export function ourServer(cli: string, apiUrl: string, stateDir: string): ServerSpec {
  return {
    name: "spacepay-mcp",
    args: [cli],
    env: { SPACEPAY_SECRET_KEY: SECRET_KEY, SPACEPAY_API_URL: apiUrl, SPACEPAY_STATE_DIR: stateDir },
  };
}

export const bareServer: ServerSpec = { name: "bare node", args: [BARE_SERVER], env: {} };
export const sdkFloor: ServerSpec = { name: "SDK floor", args: [SDK_FLOOR], env: {} };
/** The SDK v2 over stdio with one tool making our get_payment's GET against `apiUrl`. */
export function sdkFloorGet(apiUrl: string): ServerSpec {
  return { name: "SDK v2 floor with the GET", args: [SDK_FLOOR_STDIO, apiUrl, SECRET_KEY], env: {} };
}

interface JsonRpcResponse {
  id?: number | string;
  method?: string;
  result?: unknown;
  error?: { code: number; message: string };
}

/**
 * An MCP server child spoken to in raw JSON-RPC: no client framework between the clock and the server.
 * On the 2026 era every request carries the envelope and there is no `initialize`.
 */
export class RpcChild {
  readonly child: ChildProcess;
  readonly era: Era;
  /** Server-to-client notifications seen (e.g. logging messages). */
  notifications = 0;
  /** Bytes written to the child's stdin and read from its stdout, newlines included. */
  bytesSent = 0;
  bytesReceived = 0;
  private nextId = 1;
  private buffer = "";
  private stderrTail = "";
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(spec: ServerSpec, era: Era = "2025") {
    this.era = era;
    this.child = track(
      spawn(process.execPath, spec.args, {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", ...spec.env },
        stdio: ["pipe", "pipe", "pipe"],
      }),
    );
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => this.onData(chunk));
    this.child.stderr!.on("data", (d) => (this.stderrTail = (this.stderrTail + String(d)).slice(-2000)));
    this.child.stdin!.on("error", () => {});
    this.child.once("exit", (code, signal) => {
      const err = new Error(
        `${spec.name} exited (${signal ?? code}) with requests pending; stderr: ${this.stderrTail.trim()}`,
      );
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private onData(chunk: string): void {
    this.bytesReceived += Buffer.byteLength(chunk);
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() === "") continue;
      const msg = JSON.parse(line) as JsonRpcResponse;
      if (typeof msg.id === "number" && msg.method === undefined) {
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`JSON-RPC error ${msg.error.code}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else if (msg.method !== undefined && msg.id === undefined) {
        this.notifications++;
      }
    }
  }

  private write(message: Record<string, unknown>): void {
    const line = JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n";
    this.bytesSent += Buffer.byteLength(line);
    this.child.stdin!.write(line);
  }

  request<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const sent = this.era === "2026" ? { ...params, _meta: { ...ENVELOPE_2026 } } : params;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.write({ id, method, params: sent });
    });
  }

  notify(method: string, params: Record<string, unknown> = {}): void {
    this.write({ method, params });
  }

  initialize(): Promise<unknown> {
    return this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "spacepay-bench", version: "1" },
    });
  }

  /**
   * What a client does on connect up to its tool list: initialize → initialized → tools/list on 2025;
   * on 2026 the first request is tools/list itself (no server/discover needed).
   */
  async handshake(): Promise<{ tools: unknown[] }> {
    if (this.era === "2026") return this.request("tools/list");
    await this.initialize();
    this.notify("notifications/initialized");
    return this.request("tools/list");
  }

  callTool<T = unknown>(name: string, args: Record<string, unknown>): Promise<T> {
    return this.request<T>("tools/call", { name, arguments: args });
  }

  /** Closes stdin (how a stdio client says goodbye) and waits for the exit, escalating if needed. */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    await stopChild(this.child);
  }
}

export interface ListeningProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A server child that says where it listens: `node args…`, resolved with the first URL `pattern`
 * finds on `stream`; stopped with SIGTERM (SIGKILL if it lingers).
 */
export async function startListening(
  args: string[],
  opts: { env?: Record<string, string>; stream?: "stdout" | "stderr"; pattern: RegExp; what: string },
): Promise<ListeningProcess> {
  const child = track(
    spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const stream = opts.stream ?? "stdout";
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err = (err + String(d)).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.what} did not start in 15 s: ${err}`)), 15_000);
    child[stream]!.on("data", (d) => {
      out = (out + String(d)).slice(-4000);
      const m = opts.pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.what} exited (${code}): ${err}`));
    });
  });
  // Drained from here on, so a chatty child never blocks on a full pipe.
  child.stdout!.resume();
  return {
    url,
    pid: child.pid ?? -1,
    stop: () => {
      child.kill("SIGTERM");
      return stopChild(child, 1000);
    },
  };
}

/** The built simulator in its own process (`dist/cli.js simulator`), on an ephemeral port. */
export function startSimulatorProcess(
  cli: string,
  opts: { samples?: number; seed?: number; processingMs?: number } = {},
): Promise<ListeningProcess> {
  const args = [cli, "simulator", "--port", "0", "--seed", String(opts.seed ?? 1)];
  if (opts.samples) args.push("--samples", String(opts.samples));
  if (opts.processingMs !== undefined) args.push("--processing-ms", String(opts.processingMs));
  return startListening(args, { pattern: /listening on (http:\/\/\S+)/, what: "simulator" });
}

/** A scratch directory for one server's durable state, removed by the returned function. */
export function tempStateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "spacepay-bench-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
