// Issue #11 item 6: a graceful stop mid-withdrawal. The built server is spawned over stdio and told to
// stop (stdin closed, or SIGTERM) while SpacePay is still processing a withdrawal: it waits for the
// call, records the outcome, settles the ledger, closes its state and exits 0. A stop also waits for
// every request in flight to be answered before it closes the transport, reads included and over
// HTTP too: the answer is sent a few microtasks after the call settles, and a transport closed by then
// would drop it.
import { readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import type { AuditEntry } from "../../src/safety/audit.js";
import { DEFAULT_SECRET_KEY } from "../../src/simulator/index.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";
import { startHttpServer, type HttpServer } from "../ecosystem/helpers.js";
import { rawRequest } from "../helpers/http-harness.js";
import {
  BASE_SEPOLIA,
  PAYMENTS_PATH,
  WITHDRAWALS_PATH,
  textOf,
  type ToolResult,
  spawnServer,
  waitFor,
  type SpawnedServer,
  useSimulatorForSpawned,
} from "./helpers.js";

const run = useSimulatorForSpawned();
const spawned = run.spawned;
let stateDir: string;
const httpServers: HttpServer[] = [];
const clients: Client[] = [];
const HTTP_TOKEN = "graceful-stop-test-token-0123456789";

it.beforeEach(({ stateDir: dir }) => {
  stateDir = dir;
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const h of httpServers.splice(0)) await h.stop();
});

function audit(): AuditEntry[] {
  return readFileSync(path.join(stateDir, "audit.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}

function ledgerStatus(key: string): string | undefined {
  const db = new Database(path.join(stateDir, "state.sqlite"), { readonly: true });
  try {
    const row = db.prepare("SELECT status FROM withdrawal_ledger WHERE idempotency_key = ?").get(key) as
      { status: string } | undefined;
    return row?.status;
  } finally {
    db.close();
  }
}

/**
 * A withdrawal of `amountInCents` that SpacePay takes 1.5 s to process, once its POST has reached
 * SpacePay: how many withdrawal POSTs SpacePay had before it, and the answer (or error) the client gets.
 */
async function slowWithdrawal(
  call: (name: string, args: Record<string, unknown>) => Promise<ToolResult>,
  amountInCents: number,
) {
  run.sim.control.addFault({
    kind: "latency",
    latencyMs: 1_500,
    method: "POST",
    path: WITHDRAWALS_PATH,
    count: 1,
  });
  const before = run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).length;
  const answer = call("create_withdrawal", {
    amountInCents,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
  }).catch((err: Error) => err);
  await waitFor(
    () => run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).length > before,
    10_000,
    "the withdrawal POST to reach SpacePay",
  );
  return { before, answer };
}

async function stopMidWithdrawal(how: (s: SpawnedServer) => void): Promise<void> {
  const s = await spawnServer(serverEnv());
  spawned.push(s);
  const exited = new Promise<number | null>((resolve) => s.child.once("exit", (code) => resolve(code)));
  const { before, answer } = await slowWithdrawal(s.call, 2_000);
  const key = run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).at(-1)!.headers[
    "idempotency-key"
  ]!;
  expect(run.sim.control.counts().withdrawals).toBe(before); // still being processed
  how(s);

  expect(await exited).toBe(0);
  // The withdrawal happened, and the server recorded it before exiting.
  const trail = audit().filter((e) => e.idempotencyKey === key);
  expect(trail.map((e) => [e.event, e.outcome ?? null])).toEqual([
    ["intent", null],
    ["outcome", "done"],
  ]);
  const withdrawalId = trail[1]!.ids!.withdrawalId!;
  expect(run.sim.control.getWithdrawal(withdrawalId)?.amountInCents).toBe(2_000);
  expect(ledgerStatus(key)).toBe("done");
  expect(s.stderr()).toMatch(/waited for 1 money-moving call/);
  // The agent still got its answer.
  const result = await answer;
  expect(result).not.toBeInstanceOf(Error);
  expect(textOf(result as Exclude<typeof result, Error>)).toContain(withdrawalId);
}

it("stdin closed mid-withdrawal: the outcome is recorded, the ledger settled, exit 0", async () => {
  await stopMidWithdrawal((s) => s.child.stdin.end());
}, 20_000);

it("SIGTERM mid-withdrawal: the outcome is recorded, the ledger settled, exit 0", async () => {
  await stopMidWithdrawal((s) => s.child.kill("SIGTERM"));
}, 20_000);

function serverEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
    SPACEPAY_API_URL: run.sim.url,
    SPACEPAY_STATE_DIR: stateDir,
    SPACEPAY_CONFIRM: "off",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_TIMEOUT_MS: "10000",
  };
}

/** The built server over stdio, or over HTTP with a v1 client; `signal` stops it, `exited` is its exit code. */
async function startServer(over: "stdio" | "http", extraEnv: Record<string, string> = {}) {
  if (over === "stdio") {
    const s = await spawnServer(serverEnv());
    spawned.push(s);
    const exited = new Promise<number | null>((resolve) => s.child.once("exit", (code) => resolve(code)));
    return { call: s.call, exited, signal: () => s.child.kill("SIGTERM"), stderr: s.stderr };
  }
  const h = await startHttpServer({ ...serverEnv(), SPACEPAY_MCP_HTTP_TOKEN: HTTP_TOKEN, ...extraEnv });
  httpServers.push(h);
  const exited = new Promise<number | null>((resolve) => h.child.once("exit", (code) => resolve(code)));
  const client = new Client({ name: "graceful-stop", version: "1" }, { capabilities: {} });
  clients.push(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(h.url), {
      requestInit: { headers: { authorization: `Bearer ${HTTP_TOKEN}` } },
    }),
  );
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<ToolResult>;
  return { call, exited, signal: () => h.child.kill("SIGTERM"), stderr: h.stderr };
}

/**
 * SIGTERM while `tool` waits 1.5 s on SpacePay (a latency fault on `method path`): resolves with the
 * answer the client got and the exit code.
 */
async function sigtermMidCall(
  over: "stdio" | "http",
  tool: string,
  args: Record<string, unknown>,
  method: "GET" | "POST",
  apiPath: string,
) {
  const server = await startServer(over);
  run.sim.control.addFault({ kind: "latency", latencyMs: 1_500, method, path: apiPath, count: 1 });
  const before = run.sim.control.requests({ method, path: apiPath }).length;
  const answer = server.call(tool, args).catch((err: Error) => err);
  await waitFor(
    () => run.sim.control.requests({ method, path: apiPath }).length > before,
    10_000,
    `the ${tool} request to reach SpacePay`,
  );
  server.signal();
  const code = await server.exited;
  return { code, answer: await answer, stderr: server.stderr() };
}

for (const over of ["stdio", "http"] as const) {
  it(`${over}: SIGTERM while a get_payment waits on SpacePay: the read is answered, then exit 0`, async () => {
    const [paymentId] = run.sim.control.seed(1);
    const { code, answer } = await sigtermMidCall(
      over,
      "get_payment",
      { paymentId },
      "GET",
      `${PAYMENTS_PATH}/${paymentId}`,
    );
    expect(code).toBe(0);
    expect(answer).not.toBeInstanceOf(Error);
    const result = answer as ToolResult;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain(paymentId);
  }, 20_000);
}

it("http: SIGTERM mid-withdrawal: the outcome is recorded and the answer reaches the client, exit 0", async () => {
  const { code, answer, stderr } = await sigtermMidCall(
    "http",
    "create_withdrawal",
    { amountInCents: 2_000, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT },
    "POST",
    WITHDRAWALS_PATH,
  );
  expect(code).toBe(0);
  expect(stderr).toMatch(/waited for 1 money-moving call/);
  const key = run.sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH }).at(-1)!.headers[
    "idempotency-key"
  ]!;
  const trail = audit().filter((e) => e.idempotencyKey === key);
  expect(trail.map((e) => [e.event, e.outcome ?? null])).toEqual([
    ["intent", null],
    ["outcome", "done"],
  ]);
  const withdrawalId = trail[1]!.ids!.withdrawalId!;
  expect(ledgerStatus(key)).toBe("done");
  expect(answer).not.toBeInstanceOf(Error);
  expect(textOf(answer as ToolResult)).toContain(withdrawalId);
}, 20_000);

it("http: a SIGTERM turns /readyz 503 first; while the call in flight drains, new connections still get the probes", async () => {
  const server = await startServer("http");
  const mcpUrl = httpServers.at(-1)!.url;
  const probe = async (which: string) => {
    // A new connection each time, as a load balancer's probe opens one.
    const res = await rawRequest(mcpUrl.replace("/mcp", `/${which}`), { connection: "close" });
    return { status: res.status, failing: (JSON.parse(res.text) as { failing?: string[] }).failing };
  };
  expect(await probe("readyz")).toEqual({ status: 200, failing: [] });
  const { answer } = await slowWithdrawal(server.call, 1_000);
  server.signal();
  await waitFor(() => /stopping \(SIGTERM\)/.test(server.stderr()), 5_000, "the stop to begin");
  // The withdrawal is still at SpacePay (1.5 s): the listener answers, /readyz says not ready.
  expect(await probe("readyz")).toEqual({ status: 503, failing: ["notDraining"] });
  expect((await probe("healthz")).status).toBe(200);
  expect(await server.exited).toBe(0);
  const result = await answer;
  expect(result).not.toBeInstanceOf(Error);
  expect((result as ToolResult).isError, textOf(result as ToolResult)).toBeFalsy();
}, 20_000);

it("http: while a stop drains, GET /metrics still answers, with the figures so far", async () => {
  // Operators scrape the last figures of an instance that is stopping.
  const server = await startServer("http", { SPACEPAY_METRICS: "prometheus" });
  const metricsUrl = httpServers.at(-1)!.url.replace("/mcp", "/metrics");
  expect((await server.call("list_payments", { limit: 1 })).isError).toBeFalsy();
  const [paymentId] = run.sim.control.seed(1);
  const apiPath = `${PAYMENTS_PATH}/${paymentId}`;
  run.sim.control.addFault({ kind: "latency", latencyMs: 1_500, method: "GET", path: apiPath, count: 1 });
  const answer = server.call("get_payment", { paymentId }).catch((err: Error) => err);
  await waitFor(
    () => run.sim.control.requests({ method: "GET", path: apiPath }).length > 0,
    10_000,
    "the read",
  );
  server.signal();
  await waitFor(() => /stopping \(SIGTERM\)/.test(server.stderr()), 5_000, "the stop to begin");
  // Still draining (the read is at SpacePay for 1.5 s): MCP requests are turned away, metrics are not.
  const mcp = await rawRequest(httpServers.at(-1)!.url, { "content-type": "application/json" }, {});
  expect(mcp.status).toBe(503);
  const scraped = await rawRequest(metricsUrl, { connection: "close" });
  expect(scraped.status, scraped.text).toBe(200);
  expect(scraped.text).toMatch(
    /^spacepay_tool_calls_total\{[^}]*tool="list_payments"[^}]*outcome="ok"[^}]*\} 1/m,
  );
  expect(await server.exited).toBe(0);
  expect(await answer).not.toBeInstanceOf(Error);
}, 20_000);

it("stdio: SIGTERM during a wait_for_payment: the wait ends with the status so far, then exit 0", async () => {
  const paymentId = run.sim.control
    .seed(12)
    .find((id) => ["pending", "processing"].includes(run.sim.control.getPayment(id)?.status ?? ""))!;
  const server = await startServer("stdio");
  const before = run.sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${paymentId}` }).length;
  // 600 s, far past the stop's bound (46 s here) and this test's timeout: only ending the wait at the
  // stop lets this pass.
  const answer = server
    .call("wait_for_payment", { paymentId, timeoutSeconds: 600 })
    .catch((err: Error) => err);
  await waitFor(
    () => run.sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${paymentId}` }).length > before,
    10_000,
    "the wait's first read to reach SpacePay",
  );
  server.signal();
  expect(await server.exited).toBe(0);
  const result = await answer;
  expect(result).not.toBeInstanceOf(Error);
  expect(textOf(result as ToolResult)).toMatch(/the server is stopping/);
  expect((result as ToolResult).structuredContent).toMatchObject({ id: paymentId, final: false });
}, 20_000);
