// The view's side of the MCP Apps protocol (SEP-1865): JSON-RPC 2.0 over postMessage with the host.
// ext-apps' `App` class speaks the same protocol, but bundles the MCP client and all of zod (about
// 400 KB minified), four times the 100 KB budget of a card; this file is the handful of messages a
// card needs, typed by ext-apps' own spec types so the shapes are decided there, not here.
import type {
  McpUiHostContext,
  McpUiInitializeRequest,
  McpUiInitializeResult,
  McpUiToolInputNotification,
  McpUiToolResultNotification,
} from "@modelcontextprotocol/ext-apps";

export type ToolResult = McpUiToolResultNotification["params"];
export type HostContext = McpUiHostContext;

interface Handlers {
  toolInput?(args: Record<string, unknown>): void;
  toolResult?(result: ToolResult): void;
  hostContext?(context: HostContext): void;
}

type Pending = { resolve(value: unknown): void; reject(err: Error): void };

/** The spec's protocol version this view speaks (ext-apps 2.0 LATEST_PROTOCOL_VERSION). */
const PROTOCOL_VERSION = "2026-01-26";

export interface Bridge {
  /** tools/call through the host, which forwards it to this app's MCP server. */
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
}

export function connect(appName: string, handlers: Handlers): Bridge {
  const host = window.parent;
  const pending = new Map<number, Pending>();
  let nextId = 1;

  const post = (message: Record<string, unknown>) => host.postMessage({ jsonrpc: "2.0", ...message }, "*");
  const request = (method: string, params: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ id, method, params });
    });

  window.addEventListener("message", (event: MessageEvent) => {
    // Only the host that embeds this view speaks for it.
    if (event.source !== host) return;
    const msg = event.data as {
      jsonrpc?: string;
      id?: number | string;
      method?: string;
      params?: unknown;
      result?: unknown;
      error?: { message?: string };
    };
    if (!msg || msg.jsonrpc !== "2.0") return;
    if (msg.method === undefined && typeof msg.id === "number") {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message ?? "host error"));
      else p?.resolve(msg.result);
      return;
    }
    switch (msg.method) {
      case "ui/notifications/tool-input":
        handlers.toolInput?.((msg.params as McpUiToolInputNotification["params"]).arguments ?? {});
        return;
      case "ui/notifications/tool-result":
        handlers.toolResult?.(msg.params as ToolResult);
        return;
      case "ui/notifications/host-context-changed":
        handlers.hostContext?.(msg.params as HostContext);
        return;
    }
    // A request the view has nothing to do for (teardown, ping): acknowledge it, so the host never waits.
    if (msg.id !== undefined && msg.method) post({ id: msg.id, result: {} });
  });

  const init: McpUiInitializeRequest["params"] = {
    appInfo: { name: appName, version: "1" },
    appCapabilities: {},
    protocolVersion: PROTOCOL_VERSION,
  };
  void request("ui/initialize", init).then((result) => {
    handlers.hostContext?.((result as McpUiInitializeResult).hostContext ?? {});
    post({ method: "ui/notifications/initialized", params: {} });
    // The host sizes the frame to the content: report it now and whenever it changes.
    const report = () =>
      post({
        method: "ui/notifications/size-changed",
        params: {
          // The body, not the document: the document is at least as tall as the frame it is in.
          width: Math.ceil(document.body.scrollWidth),
          height: Math.ceil(document.body.getBoundingClientRect().height),
        },
      });
    new ResizeObserver(report).observe(document.body);
    report();
  });

  return {
    callTool: (name, args) => request("tools/call", { name, arguments: args }) as Promise<ToolResult>,
  };
}
