// Shared by the ecosystem tests: the built CLI, bounded child processes, and the
// built server started the way a client would (stdio) or an HTTP client would (--http).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CLI } from "../helpers/built-cli.js";

export { CLI, REPO as ROOT, requireBuild } from "../helpers/built-cli.js";

/** The environment of a fresh install: no key and no URL (demo mode), state in a temp dir. */
export function demoEnv(stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    SPACEPAY_STATE_DIR: stateDir,
    ...extra,
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, killing it after timeoutMs; a non-zero exit is a result, not a throw. */
export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && (err as { killed?: boolean }).killed) {
          reject(new Error(`${command} ${args.join(" ")} timed out after ${opts.timeoutMs} ms\n${stderr}`));
          return;
        }
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        if (err && code === null) {
          reject(err);
          return;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Connects an MCP client over stdio to `command args` (e.g. node dist/cli.js). */
export async function connectStdio(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command, args, env, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (d) => (stderr += String(d)));
  const client = new Client({ name: "ecosystem-test", version: "1" });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

export interface HttpServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `node dist/cli.js --http --port 0` and resolves with the URL it logs on stderr. */
export function startHttpServer(env: Record<string, string>, timeoutMs = 15_000): Promise<HttpServer> {
  const child = spawn(process.execPath, [CLI, "--http", "--port", "0"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`no HTTP URL on stderr within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stderr.on("data", (d) => {
      stderr += String(d);
      const m = /MCP over Streamable HTTP at (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ url: m[1], child, stderr: () => stderr, stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderr}`));
    });
  });
}
