// What a host that renders MCP Apps declares, for tests on either era and any transport: the UI
// extension with our pages' mime type, and nothing else (claude.ai's shape: no elicitation).
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { APP_MIME_TYPE, UI_EXTENSION } from "../../src/server/app-contract.js";

export const UI_CAPABILITIES: ClientCapabilities = {
  extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } },
};
