// `initialize` with missing or malformed params answers -32602 with a short message naming the fields,
// instead of the SDK's -32603 carrying a raw zod dump (which tells a client author nothing to act on).
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  InitializeRequestSchema,
  McpError,
  type InitializeRequest,
  type InitializeResult,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

// Accepts any params, so the check below (not the SDK's parse) decides what the client is told.
const AnyInitialize = z.object({ method: z.literal("initialize"), params: z.unknown().optional() });

/** The SDK's own initialize logic (SDK v1 keeps it private; the version is pinned, and tests cover it). */
type WithInitialize = { _oninitialize(request: InitializeRequest): Promise<InitializeResult> };

export function validateInitialize(server: Server): void {
  const sdkInitialize = (server as unknown as WithInitialize)._oninitialize.bind(server);
  server.setRequestHandler(AnyInitialize as unknown as typeof InitializeRequestSchema, (request) => {
    const parsed = InitializeRequestSchema.safeParse(request);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => ["params", ...i.path].join(".")))];
      throw new McpError(
        ErrorCode.InvalidParams,
        `initialize: missing or invalid ${fields.join(", ")} (needs protocolVersion, capabilities and clientInfo {name, version})`,
      );
    }
    return sdkInitialize(parsed.data);
  });
}
