// The stdio SDK floor with a real call: the official v2 `serveStdio` serving `McpServer` with one tool
// making the same GET our get_payment makes (undici, the merchant key) and answering the status. What
// our stdio server adds to a call above this is ours; what this adds above the direct GET is the SDK's
// (and a second process hop). Usage: node bench/sdk-floor-stdio.mjs <api url> <merchant key>
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { Agent, request } from "undici";
import { z } from "zod";

const [apiUrl, key] = process.argv.slice(2);
const dispatcher = new Agent({ connections: 16 });

const handle = serveStdio(() => {
  const server = new McpServer({ name: "sdk-floor-stdio", version: "1.0.0" });
  server.registerTool(
    "get_payment",
    {
      title: "Get payment",
      description: "Look up one payment or deposit by id: status, amounts, quotes and on-chain receipt.",
      inputSchema: z.object({ paymentId: z.string().min(1).max(100).describe("SpacePay payment id (UUID)") }),
      outputSchema: z.object({ status: z.string() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async ({ paymentId }) => {
      const res = await request(`${apiUrl}/v1/external/secretkey-auth/payments/${paymentId}`, {
        dispatcher,
        headers: { "x-spacepay-secret-key": key, accept: "application/json" },
      });
      const payment = await res.body.json();
      return {
        content: [{ type: "text", text: `${payment.id}: ${payment.status}` }],
        structuredContent: { status: payment.status },
      };
    },
  );
  return server;
});
process.stdin.once("end", () => void handle.close().then(() => process.exit(0)));
