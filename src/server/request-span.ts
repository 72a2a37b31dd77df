// What the server span of one MCP request says (MCP semantic conventions): method, target, request id,
// protocol version, session, and the W3C trace context the client sent to continue. Read only while
// tracing is on (telemetry.request calls it lazily).
import {
  PROTOCOL_VERSION_META_KEY,
  TRACEPARENT_META_KEY,
  TRACESTATE_META_KEY,
  type Server,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { RequestInfo } from "../telemetry.js";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The tool, prompt or resource a request is about. */
function targetOf(method: string, params: Record<string, unknown>): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return str(params.name);
  if (method === "resources/read" || method === "resources/subscribe") return str(params.uri);
  return undefined;
}

export function requestInfo(
  server: Server,
  method: string,
  request: unknown,
  ctx: ServerContext,
): RequestInfo {
  const params = ((request as { params?: unknown } | null)?.params ?? {}) as Record<string, unknown>;
  const meta = { ...(params._meta as Record<string, unknown> | undefined), ...ctx.mcpReq._meta };
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const headers = ctx.http?.req?.headers;
  // 2026-07-28 carries the trace context in the request's _meta; over HTTP the header may carry it too.
  const traceparent = str(meta[TRACEPARENT_META_KEY]) ?? str(headers?.get("traceparent"));
  const tracestate = str(meta[TRACEPARENT_META_KEY])
    ? str(meta[TRACESTATE_META_KEY])
    : str(headers?.get("tracestate"));
  return {
    method,
    target: targetOf(method, params),
    requestId: ctx.mcpReq.id,
    protocolVersion:
      str(envelope?.[PROTOCOL_VERSION_META_KEY]) ??
      str(meta[PROTOCOL_VERSION_META_KEY]) ??
      server.getNegotiatedProtocolVersion() ??
      // A stateless HTTP server never saw the initialize: every later request names its version.
      str(headers?.get("mcp-protocol-version")),
    sessionId: ctx.sessionId,
    traceparent,
    tracestate,
  };
}
