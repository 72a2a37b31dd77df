// The SDK floor: the official McpServer with a single tool over StdioServerTransport, nothing else.
// Whatever our server costs above this is ours; what this costs above bare Node is the SDK's.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "sdk-floor", version: "1.0.0" });
server.registerTool(
  "get_payment",
  {
    title: "Get payment",
    description: "Look up one payment or deposit by id: status, amounts, quotes and on-chain receipt.",
    inputSchema: { paymentId: z.string().min(1).max(100).describe("SpacePay payment id (UUID)") },
    outputSchema: { status: z.string() },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  },
  async ({ paymentId }) => ({
    content: [{ type: "text", text: `${paymentId}: pending` }],
    structuredContent: { status: "pending" },
  }),
);
process.stdin.once("end", () => void server.close().then(() => process.exit(0)));
await server.connect(new StdioServerTransport());
