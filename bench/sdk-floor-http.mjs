// The HTTP SDK floor: the official v2 `createMcpHandler` (a server per request, built by its factory)
// behind node:http, with one tool making the same GET our get_payment makes (undici, the merchant key)
// and answering the status. Whatever our HTTP server costs above this is ours. Prints its URL on stdout.
// Usage: node bench/sdk-floor-http.mjs <api url> <merchant key>
import { createServer } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { Agent, request } from "undici";
import { z } from "zod";

const [apiUrl, key] = process.argv.slice(2);
const dispatcher = new Agent({ connections: 16 });

const factory = () => {
  const server = new McpServer({ name: "sdk-floor-http", version: "1.0.0" });
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
};

const handle = toNodeHandler(createMcpHandler(factory, { legacy: "reject" }));
const http = createServer((req, res) => void handle(req, res));
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () =>
  process.stdout.write(`listening on http://127.0.0.1:${http.address().port}/mcp\n`),
);
// An orderly exit on SIGTERM, so `node --cpu-prof` can write the floor's profile too.
process.once("SIGTERM", () => process.exit(0));
