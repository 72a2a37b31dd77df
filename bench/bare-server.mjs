// The framework-free floor: newline-delimited JSON-RPC over stdio answering initialize and tools/list
// with one tool shaped like ours (name, title, description, input and output schema, annotations).
import { createInterface } from "node:readline";

const TOOL = {
  name: "get_payment",
  title: "Get payment",
  description: "Look up one payment or deposit by id: status, amounts, quotes and on-chain receipt.",
  inputSchema: {
    type: "object",
    properties: {
      paymentId: { type: "string", minLength: 1, maxLength: 100, description: "SpacePay payment id (UUID)" },
    },
    required: ["paymentId"],
  },
  outputSchema: { type: "object", properties: { status: { type: "string" } }, required: ["status"] },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
};

const send = (msg) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...msg }) + "\n");

createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    send({ id: null, error: { code: -32700, message: "Parse error" } });
    return;
  }
  if (req.id === undefined) return; // a notification
  switch (req.method) {
    case "initialize":
      send({
        id: req.id,
        result: {
          protocolVersion: req.params?.protocolVersion ?? "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "bare", version: "1.0.0" },
        },
      });
      return;
    case "tools/list":
      send({ id: req.id, result: { tools: [TOOL] } });
      return;
    case "ping":
      send({ id: req.id, result: {} });
      return;
    default:
      send({ id: req.id, error: { code: -32601, message: `Method not found: ${req.method}` } });
  }
});
