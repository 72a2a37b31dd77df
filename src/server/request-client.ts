// What the client behind one request can do, decided once for every part of the server that asks:
// how a money call is confirmed (elicitation, input_required, a token) and whether it is shown MCP
// Apps cards. A 2025-era client declared its capabilities at initialize, for the whole session; a
// 2026-07-28 request declares them in its own envelope, which the SDK copies into
// getClientCapabilities() only where createMcpHandler serves it (HTTP), never over stdio.
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type Server,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { InputRequiredChannel } from "../safety/guard.js";
import { clientRendersApps } from "./apps.js";

export interface RequestClient {
  /**
   * Asked by an elicitation request: a 2025 client that declared it. On 2026-07-28 the SDK's
   * elicitInput throws (the revision has no server-to-client requests), so never there.
   */
  canElicit: boolean;
  /** A 2025 client that declared URL-mode elicitation (it can be asked to have a page opened). */
  canElicitUrl: boolean;
  /**
   * Asked through `input_required` (2026-07-28 with elicitation): its answer and state on a retry.
   * A client that can be asked neither way gets the confirmation token round trip.
   */
  inputRequired?: InputRequiredChannel;
  /** Declared the MCP Apps UI extension: tools link to their cards, and a money call can be approved on one. */
  rendersApps: boolean;
}

/**
 * Whether a request is 2026-07-28, for a server serving `era` (as the SDK's serving entry says;
 * unset, the request's envelope tells: a 2025 request never carries one).
 */
export function modernRequest(era: "legacy" | "modern" | undefined, ctx: ServerContext): boolean {
  return era === "modern" || ctx.mcpReq.envelope !== undefined;
}

/**
 * The per-request view for a server serving `era` (as the SDK's serving entry says; unset, the
 * request's envelope tells: a 2025 request never carries one).
 */
export function requestClient(
  server: Server,
  era: "legacy" | "modern" | undefined,
): (ctx: ServerContext) => RequestClient {
  return (ctx) => {
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    if (!modernRequest(era, ctx)) {
      const caps = server.getClientCapabilities();
      return {
        canElicit: Boolean(caps?.elicitation),
        canElicitUrl: Boolean(caps?.elicitation?.url),
        rendersApps: clientRendersApps(caps),
      };
    }
    const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
    const state = ctx.mcpReq.requestState();
    return {
      canElicit: false,
      canElicitUrl: false,
      inputRequired: caps?.elicitation
        ? {
            responses: ctx.mcpReq.inputResponses,
            requestState: typeof state === "string" ? state : undefined,
            url: Boolean(caps.elicitation.url),
          }
        : undefined,
      rendersApps: clientRendersApps(caps),
    };
  };
}
