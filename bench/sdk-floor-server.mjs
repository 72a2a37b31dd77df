// The SDK v2 floors' one server (sdk-floor-http.mjs, sdk-floor-stdio.mjs): the official `McpServer`
// with one tool making the same GET our get_payment makes (undici, the merchant key) and answering the
// status. Whatever our server costs above a floor is ours.
import { McpServer } from "@modelcontextprotocol/server";
import { Agent, request } from "undici";
import { z } from "zod";

/** A factory of floor servers named `name`, calling the API at `apiUrl` with `key`. */
export function floorServer(name, apiUrl, key) {
  const dispatcher = new Agent({ connections: 16 });
  return () => {
    const server = new McpServer({ name, version: "1.0.0" });
    server.registerTool(
      "get_payment",
      {
        title: "Get payment",
        description: "Look up one payment or deposit by id: status, amounts, quotes and on-chain receipt.",
        inputSchema: z.object({
          paymentId: z.string().min(1).max(100).describe("SpacePay payment id (UUID)"),
        }),
        outputSchema: z.object({ status: z.string() }),
        annotations: {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: true,
        },
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
}
