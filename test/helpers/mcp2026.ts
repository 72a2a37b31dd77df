// Clients of the 2026-07-28 revision for tests: the SDK v2 client pinned to it (over the built
// server's stdio or over HTTP), and raw wire clients that write the messages by hand (the per-request
// `_meta` envelope, and on HTTP the Mcp-Method / Mcp-Name headers), so a test can also send what an
// SDK never would. Everything a test starts here is stopped by the `close()` it gets back.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { CLI, requireBuild } from "./built-cli.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

export { CLI };

export const REVISION = "2026-07-28";

export interface BuiltServerEnv {
  /** The environment for `node dist/cli.js`: the simulator's key and URL, `stateDir`, and the extras. */
  env: Record<string, string>;
  stateDir: string;
  /** Deletes the state directory. */
  remove(): void;
}

/** The built server's environment against the simulator at `apiUrl`, on a new state directory of its own. */
/** rawStdio's servers by state directory, so removing the directory can end those still running. */
const rawChildren = new Map<string, Set<ChildProcess>>();

export function builtServerEnv(apiUrl: string, extra: Record<string, string> = {}): BuiltServerEnv {
  const stateDir = makeTempDir();
  return {
    env: {
      SPACEPAY_SECRET_KEY: "sk_test_simulator",
      SPACEPAY_API_URL: apiUrl,
      SPACEPAY_STATE_DIR: stateDir,
      ...extra,
    },
    stateDir,
    remove: () => {
      // rawStdio's close signals its server without waiting for the exit, and a stopping server may
      // still write its state files: the tests are over, so any still running is killed first, and
      // the removal retries while the kernel reaps them.
      for (const child of rawChildren.get(stateDir) ?? []) child.kill("SIGKILL");
      rawChildren.delete(stateDir);
      removeTempDir(stateDir);
    },
  };
}

/** The envelope every 2026-07-28 request carries in `params._meta`. */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": REVISION,
    "io.modelcontextprotocol/clientInfo": { name: "raw-2026", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
}

/** `params` with the envelope merged into its `_meta`. */
export function withEnvelope(params: Record<string, unknown> = {}, capabilities?: Record<string, unknown>) {
  const meta = (params._meta as Record<string, unknown> | undefined) ?? {};
  return { ...params, _meta: { ...envelope(capabilities), ...meta } };
}

/** The value of the Mcp-Name header for a request: the tool, prompt or resource it names. */
export function mcpName(method: string, params: Record<string, unknown>): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return params.name as string;
  if (method === "resources/read") return params.uri as string;
  return undefined;
}

/** A v2 SDK client pinned to 2026-07-28 over the built server's stdio. */
export async function stdioClient2026(
  env: Record<string, string>,
  capabilities: ClientCapabilities = {},
): Promise<{
  client: Client;
  stderr: () => string;
  /** Every message the client has sent the server, in order (e.g. to read the retries it made itself). */
  sent: ReadonlyArray<Record<string, any>>;
  close: () => Promise<void>;
}> {
  requireBuild();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? "", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d) => (stderr += String(d)));
  const sent: Array<Record<string, any>> = [];
  const send = transport.send.bind(transport);
  transport.send = (message) => {
    sent.push(message as Record<string, any>);
    return send(message);
  };
  const client = new Client(
    { name: "sdk-2026", version: "1" },
    { capabilities, versionNegotiation: { mode: { pin: REVISION } } },
  );
  await client.connect(transport);
  return { client, stderr: () => stderr, sent, close: () => client.close() };
}

/** A v2 SDK client pinned to 2026-07-28 over Streamable HTTP. */
export async function httpClient2026(
  url: string,
  headers: Record<string, string> = {},
  capabilities: ClientCapabilities = {},
): Promise<Client> {
  const client = new Client(
    { name: "sdk-2026", version: "1" },
    { capabilities, versionNegotiation: { mode: { pin: REVISION } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

export interface RawReply {
  status: number;
  headers: Headers;
  /** The JSON-RPC response (the last `data:` frame of an SSE body). */
  body: Record<string, any>;
}

/** The JSON-RPC message in an HTTP answer: the body itself, or the last SSE data frame. */
export function rpcBody(contentType: string | null, text: string): Record<string, any> {
  if (contentType?.includes("text/event-stream")) {
    const frames = text
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).trim());
    return JSON.parse(frames[frames.length - 1] ?? "null");
  }
  return JSON.parse(text);
}

let nextId = 1;

/**
 * POSTs one raw 2026-07-28 request: envelope in `_meta`, and the headers the revision requires
 * (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` where the method names something). `headers`
 * overrides or removes (value "") any of them.
 */
export async function rawHttp(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<RawReply> {
  const name = mcpName(method, params);
  const all: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": REVISION,
    "mcp-method": method,
    ...(name !== undefined ? { "mcp-name": name } : {}),
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) if (v === "") delete all[k];
  const res = await fetch(url, {
    method: "POST",
    headers: all,
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: withEnvelope(params) }),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: rpcBody(res.headers.get("content-type"), await res.text()),
  };
}

/** POSTs a body exactly as given (for batches and malformed messages); `signal` ends it early. */
export async function rawHttpBody(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal: AbortSignal = AbortSignal.timeout(10_000),
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": REVISION,
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
  return { status: res.status, text: await res.text() };
}

/** The built server over stdio, spoken to line by line. */
export function rawStdio(env: Record<string, string>): {
  /** Sends one raw line (a JSON-RPC message) and returns the next response line with the same id. */
  send(message: Record<string, unknown>): Promise<Record<string, any>>;
  /** Sends a 2026-07-28 request: `params` get the envelope (declaring `capabilities`). */
  request(
    method: string,
    params?: Record<string, unknown>,
    capabilities?: Record<string, unknown>,
  ): Promise<Record<string, any>>;
  close(): void;
} {
  requireBuild();
  const child = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const dir = env.SPACEPAY_STATE_DIR;
  if (dir) {
    const mine = rawChildren.get(dir) ?? new Set();
    rawChildren.set(dir, mine.add(child));
    child.once("exit", () => mine.delete(child));
  }
  const waiting = new Map<unknown, (m: Record<string, any>) => void>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as Record<string, any>;
    const resolve = waiting.get(message.id);
    waiting.delete(message.id);
    resolve?.(message);
  });
  const send = (message: Record<string, unknown>) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(message)}`)), 10_000);
      waiting.set(message.id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
    });
  return {
    send,
    request: (method, params = {}, capabilities) =>
      send({ id: nextId++, method, params: withEnvelope(params, capabilities) }),
    close: () => void child.kill(),
  };
}
