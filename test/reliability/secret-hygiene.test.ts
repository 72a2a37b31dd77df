// Reliability: the built server over stdio, debug logging on, driven through every tool (errors
// included): the protocol stream it writes, its stderr, its MCP log notifications, every resource
// and prompt, and the audit file never contain the merchant key, the bearer token or a payment secret.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import {
  DEFAULT_BEARER_TOKEN,
  DEFAULT_MERCHANT_ID,
  DEFAULT_SECRET_KEY,
  startSimulator,
  type SimulatorHandle,
} from "../../src/simulator/index.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";
import {
  BASE_SEPOLIA,
  PAYMENTS_PATH,
  textOf,
  type ToolResult,
  spawnServer,
  uniqueOrder,
  type SpawnedServer,
} from "./helpers.js";

let sim: SimulatorHandle;
let stateDir: string;
let server: SpawnedServer;
/** Every tool result and resource/prompt read, for "did this scenario really run" checks. */
const results = new Map<string, ToolResult[]>();
const reads: string[] = [];

it.beforeAll(async ({ fileDir }) => {
  sim = await startSimulator({ processingMs: 20, samplePayments: 3 });
  stateDir = fileDir;
  server = await spawnServer({
    SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
    SPACEPAY_BEARER_TOKEN: DEFAULT_BEARER_TOKEN,
    SPACEPAY_MERCHANT_ID: DEFAULT_MERCHANT_ID,
    SPACEPAY_API_URL: sim.url,
    SPACEPAY_STATE_DIR: stateDir,
    SPACEPAY_LOG_LEVEL: "debug",
    SPACEPAY_CONFIRM: "token",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_TIMEOUT_MS: "3000",
    SPACEPAY_MAX_RETRIES: "1",
    // wait_for_payment below hears the payment complete at the next poll.
    SPACEPAY_POLL_INTERVAL_MS: "250",
  });
  await server.client.setLoggingLevel("debug");
  await scenario();
}, 60_000);

afterAll(async () => {
  await server?.close();
  await sim?.close();
});

async function call(name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  const res = await server.call(name, args);
  results.set(name, [...(results.get(name) ?? []), res]);
  return res;
}

/** A money-moving call through the token round-trip (the confirmation is the user's "yes"). */
async function confirmed(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  const first = await call(name, args);
  expect(first.structuredContent?.status, textOf(first)).toBe("confirmation_required");
  const res = await call(name, { ...args, confirmationToken: first.structuredContent.confirmationToken });
  expect(res.isError, textOf(res)).toBeFalsy();
  return res;
}

async function scenario(): Promise<void> {
  const payment = await confirmed("create_payment", { amountInCents: 2_500, orderId: uniqueOrder("sh") });
  const paymentId = payment.structuredContent.payment.id as string;
  await confirmed("create_deposit", { orderId: uniqueOrder("shd"), customerRefId: "cust-1" });
  await call("get_payment", { paymentId });
  await call("list_payments", { limit: 50 });
  await call("list_payments", { orderId: "no-such-order" });
  await call("create_quote", { paymentId, token: "USDC", chainId: "base-sepolia" });
  await call("refresh_status", { paymentId });
  await sim.control.pay(paymentId, { outcome: "exact" });
  await call("wait_for_payment", { paymentId, timeoutSeconds: 5 });
  const withdrawal = await confirmed("create_withdrawal", {
    amountInCents: 700,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
  });
  await call("get_withdrawal", { withdrawalId: withdrawal.structuredContent.withdrawal.id });
  await call("list_withdrawals", {});
  await call("get_withdrawal_config", {});
  await call("get_wallet_balances", {});
  await call("list_supported_tokens", { chainId: "base-sepolia" });

  // A payment this server did not create, addressed with its real secret, then with a wrong one.
  const [foreign] = sim.control.seed(1);
  const foreignSecret = sim.control.paymentSecret(foreign!)!;
  await call("wait_for_payment", { paymentId: foreign, paymentSecret: foreignSecret, timeoutSeconds: 1 });
  await call("refresh_status", { paymentId: foreign, paymentSecret: foreignSecret });
  await call("create_quote", { paymentId: foreign, paymentSecret: "ps_wrong_secret_000000", token: "USDC" });
  await call("create_quote", { paymentId: foreign, paymentSecret: foreignSecret, chainId: "base-sepolia" });

  // Errors: not found, invalid arguments, a refusal, a server error and a dropped connection.
  await call("get_payment", { paymentId: "00000000-0000-4000-8000-00000000dead" });
  await call("get_withdrawal", { withdrawalId: "00000000-0000-4000-8000-00000000dead" });
  await call("create_payment", { amountInCents: 1, orderId: "" });
  await call("create_withdrawal", {
    amountInCents: 700,
    chainId: BASE_SEPOLIA,
    recipientAddress: "0x2222222222222222222222222222222222222222",
  });
  sim.control.addFault({ kind: "error", status: 503, method: "GET", path: PAYMENTS_PATH });
  await call("list_payments", { limit: 1 });
  sim.control.clearFaults();
  sim.control.addFault({ kind: "reset", method: "GET", path: "**/wallet-balances" });
  await call("get_wallet_balances", {});
  sim.control.clearFaults();
  // A withdrawal whose confirmed call fails upstream after it was processed (ambiguous, audited).
  sim.control.addFault({ kind: "truncate", method: "POST", path: "**/withdrawals" });
  const pending = await call("create_withdrawal", {
    amountInCents: 800,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
  });
  await call("create_withdrawal", {
    amountInCents: 800,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
    confirmationToken: pending.structuredContent.confirmationToken,
  });
  sim.control.clearFaults();

  // Every resource, listed and templated, and every prompt.
  const { resources } = await server.client.listResources();
  for (const r of resources) reads.push(JSON.stringify(await server.client.readResource({ uri: r.uri })));
  reads.push(JSON.stringify(await server.client.readResource({ uri: `spacepay://payments/${foreign}` })));
  reads.push(JSON.stringify(await server.client.listResourceTemplates()));
  const { prompts } = await server.client.listPrompts();
  for (const p of prompts) {
    const args = Object.fromEntries(
      (p.arguments ?? []).map((a) => [a.name, a.name === "date" ? "2026-01-01" : "x"]),
    );
    reads.push(JSON.stringify(await server.client.getPrompt({ name: p.name, arguments: args })));
  }
}

/** Every payment the simulator holds (the scenario's and the samples) and its secret. */
async function paymentSecrets(): Promise<string[]> {
  const res = await fetch(`${sim.url}${PAYMENTS_PATH}?limit=1000`, {
    headers: { "x-spacepay-secret-key": DEFAULT_SECRET_KEY },
  });
  const page = (await res.json()) as { data: Array<{ id: string }> };
  return page.data.map((p) => sim.control.paymentSecret(p.id)!);
}

it("ran every tool, with successes and errors, and produced logs, resources and an audit trail", () => {
  expect([...results.keys()].sort()).toEqual(
    [
      "create_deposit",
      "create_payment",
      "create_quote",
      "create_withdrawal",
      "get_payment",
      "get_wallet_balances",
      "get_withdrawal",
      "get_withdrawal_config",
      "list_payments",
      "list_supported_tokens",
      "list_withdrawals",
      "refresh_status",
      "wait_for_payment",
    ].sort(),
  );
  const all = [...results.values()].flat();
  expect(all.filter((r) => r.isError).length).toBeGreaterThanOrEqual(8);
  expect(all.filter((r) => !r.isError).length).toBeGreaterThanOrEqual(20);
  expect(server.stderr()).toMatch(/debug: GET \/v1\//);
  expect(server.logs.length).toBeGreaterThan(10);
  expect(reads.join("\n")).toContain("spacepay://audit/recent");
  expect(readFileSync(path.join(stateDir, "audit.jsonl"), "utf8")).toMatch(/"event":"intent"/);
});

it.each([
  ["the protocol stream (stdout)", () => server.stdout()],
  ["stderr", () => server.stderr()],
  ["the MCP log notifications", () => JSON.stringify(server.logs)],
  ["every resource and prompt", () => reads.join("\n")],
  ["the audit file", () => readFileSync(path.join(stateDir, "audit.jsonl"), "utf8")],
])("%s holds no merchant key, bearer token or payment secret", async (_what, read) => {
  const secrets = await paymentSecrets();
  expect(secrets.length).toBeGreaterThanOrEqual(6);
  const haystack = read();
  expect(haystack.length).toBeGreaterThan(100);
  for (const secret of [DEFAULT_SECRET_KEY, DEFAULT_BEARER_TOKEN, ...secrets]) {
    expect(secret.length).toBeGreaterThanOrEqual(6);
    expect(haystack.includes(secret), `contains ${secret.slice(0, 6)}…`).toBe(false);
  }
});
