// `spacepay-mcp demo`: a scripted walkthrough. It acts as an MCP client against the demo server
// (in-process simulator, no keys, no real money) and prints what an agent does, step by step.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, InMemoryTransport, type CallToolResult } from "@modelcontextprotocol/client";
import { loadConfig } from "../config/index.js";
import { setLogLevel } from "../log.js";
import { createRuntime } from "../runtime.js";
import { TOOL_NAMES } from "../server/tools/index.js";

type Out = (line: string) => void;
type Result = CallToolResult & { structuredContent?: Record<string, unknown> };

const RECIPIENT = "0x5a1e5a1e00000000000000000000000000000042";

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/**
 * Runs the walkthrough, printing with `out`. `serverCommand` is how the user starts the server from
 * here (the last line names it), e.g. `node dist/cli.js`.
 */
export async function runDemo(out: Out, serverCommand: string): Promise<number> {
  // The script narrates every call on stdout; the server's info lines on stderr would tell each one again.
  setLogLevel("warn");
  // No key and no URL: demo mode (in-process simulator). Tokens show the confirmation step. The script
  // expects a fresh world and budget every run, so its state is thrown away, unlike the demo server's.
  const stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-mcp-walkthrough-"));
  const config = loadConfig({
    env: { SPACEPAY_CONFIRM: "token", SPACEPAY_STATE_DIR: stateDir },
    knownTools: TOOL_NAMES,
  });
  const runtime = await createRuntime(config, { demoPayments: 12, pollIntervalMs: 250 });
  const server = runtime.newServer();
  const client = new Client({ name: "spacepay-demo", version: "1" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.mcp.connect(b), client.connect(a)]);

  let step = 0;
  const heading = (title: string) => out(`\n${++step}. ${title}`);
  const call = async (name: string, args: Record<string, unknown>): Promise<Result> => {
    out(`  agent → ${name} ${JSON.stringify(args)}`);
    const res = (await client.callTool({ name, arguments: args })) as Result;
    out(`  server${res.isError ? " (error)" : ""} ←\n${indent(textOf(res))}`);
    return res;
  };
  /** The token round-trip as an agent does it: show the summary, get the user's yes, repeat the call. */
  const confirmed = async (name: string, args: Record<string, unknown>): Promise<Result> => {
    const first = await call(name, args);
    const token = first.structuredContent?.confirmationToken;
    if (typeof token !== "string") return first;
    out("  (the agent shows the user the summary; the user approves)");
    return call(name, { ...args, confirmationToken: token });
  };

  try {
    out("spacepay-mcp demo: an agent using the server against simulated SpacePay (no keys, no real money).");

    heading("List the tools");
    const { tools } = await client.listTools();
    out(`  ${tools.length} tools: ${tools.map((t) => t.name).join(", ")}`);

    heading("Invoice a customer $120.00 for order 881 (money-moving: confirmation first)");
    const payment = await confirmed("create_payment", { amountInCents: 12000, orderId: "881" });
    const paymentId = (payment.structuredContent?.payment as { id: string } | undefined)?.id;
    if (!paymentId) throw new Error("the payment was not created");

    heading("Get a quote to pay it in USDC on Base Sepolia");
    await call("create_quote", { paymentId, token: "USDC", chainId: "base-sepolia" });

    heading("The simulated customer pays the exact amount");
    await runtime.simulator!.control.pay(paymentId, { outcome: "exact" });
    out("  (simulator: the customer sent the USDC; SpacePay sees it on-chain)");

    heading("Wait for the payment, with progress");
    out(`  agent → wait_for_payment {"paymentId":"${paymentId}"}`);
    let lastProgress = "";
    const waited = (await client.callTool(
      { name: "wait_for_payment", arguments: { paymentId, timeoutSeconds: 10 } },
      {
        // The server may repeat a progress note with nothing new in it (a heartbeat); print each change once.
        onprogress: (p) => {
          const line = `    progress: ${p.message ?? ""} (${p.progress}s of ${p.total}s)`;
          if (line !== lastProgress) out(line);
          lastProgress = line;
        },
      },
    )) as Result;
    out(`  server ←\n${indent(textOf(waited))}`);

    heading("List the latest payments");
    await call("list_payments", { limit: 5 });

    heading("Try to withdraw $2,000.00 (above the $1,000.00 per-withdrawal limit)");
    await call("create_withdrawal", {
      amountInCents: 200000,
      chainId: "base-sepolia",
      recipientAddress: RECIPIENT,
    });

    heading("Withdraw $50.00 to the treasury wallet (confirmed)");
    const w = await confirmed("create_withdrawal", {
      amountInCents: 5000,
      chainId: "base-sepolia",
      recipientAddress: RECIPIENT,
      orderId: "treasury-sweep-1",
    });
    if (w.isError) throw new Error("the withdrawal failed");

    out(`\nDone. Point your MCP client at \`${serverCommand}\` to do the same with your agent.`);
    return 0;
  } catch (err) {
    out(`\ndemo failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.close();
    await runtime.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
