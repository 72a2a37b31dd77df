// The transport-independent server factory: tools, resources, prompts, subscriptions and logging
// over injected dependencies. stdio and Streamable HTTP entries are thin wrappers around it.
import { McpServer, type LoggingLevel } from "@modelcontextprotocol/server";
import type { RequestLogEvent, SpacePayApi } from "../spacepay/types.js";
import { VERSION } from "../version.js";
import type { SecretStore } from "../domain.js";
import type { ServerGuard } from "../safety/guard.js";
import { registerTools } from "./register-tools.js";
import { registerResources, resourceDefs } from "./resources.js";
import { registerPrompts } from "./prompts.js";
import { registerSubscriptions, type Subscriptions } from "./subscriptions.js";
import { createPaymentWatcher, type PaymentWatcher } from "./payment-watch.js";
import { instructions } from "./instructions.js";
import { APP_PAGES, registerApps } from "./apps.js";
import { requestClient } from "./request-client.js";
import type { AnyTool, ServerInfo } from "./tool.js";
import { TOOLS } from "./tools/index.js";
import { lazyValidator, loadValidator } from "./lazy-validator.js";

export interface ServerDeps {
  api: SpacePayApi;
  info: ServerInfo;
  /** Tools to offer (already filtered by read-only mode and the tool lists); all by default. */
  tools?: readonly AnyTool[];
  /** Payment secrets by payment id; in memory unless durable state is given. */
  secrets?: SecretStore;
  /** Wraps money-moving tools; without it they run unguarded (tests of the bare tools only). */
  guard?: ServerGuard;
  /** Extra fields for spacepay://account (policy, credentials). */
  account?: Record<string, unknown>;
  auditRecent?: (n: number) => unknown[] | Promise<unknown[]>;
  now?: () => Date;
  /** The process's one payment poll loop; without it this server gets its own (tests of one server). */
  watcher?: PaymentWatcher;
  /** Interval of that own loop (default 2000 ms). */
  pollIntervalMs?: number;
  /** Who calls (the OAuth subject of an HTTP request), for the guard. */
  caller?: string;
  /**
   * Stateless transports (HTTP) cannot deliver later 2025 notifications: no resources/subscribe then.
   * (A 2026-07-28 listen stream is served by the entry point, see subscriptions.ts.)
   */
  stateless?: boolean;
  /**
   * The protocol era this instance serves, as the SDK's serving entry says (`serveStdio`,
   * `createMcpHandler`): `modern` is 2026-07-28 (per-request `_meta` envelope, no server-to-client
   * requests). Unset: decided per request from the envelope (a server connected by hand).
   */
  era?: "legacy" | "modern";
}

export interface SpacePayServer {
  mcp: McpServer;
  /** Feed the API client's per-request events here; they go out as MCP debug log messages. */
  logApiCall(event: RequestLogEvent): void;
  close(): Promise<void>;
}

export function memorySecretStore(): SecretStore {
  const map = new Map<string, string>();
  return { get: (id) => map.get(id), put: (id, s) => void map.set(id, s) };
}

export function createServer(deps: ServerDeps): SpacePayServer {
  const tools = deps.tools ?? TOOLS;
  const secrets = deps.secrets ?? memorySecretStore();
  const now = deps.now ?? (() => new Date());
  const ownWatcher = deps.watcher ? null : createPaymentWatcher(deps.api, deps.pollIntervalMs ?? 2000);
  const watcher = deps.watcher ?? ownWatcher!;
  const mcp = new McpServer(
    { name: "spacepay-mcp", title: "SpacePay", version: VERSION },
    {
      capabilities: { logging: {}, completions: {} },
      instructions: instructions(deps.info.mode),
      jsonSchemaValidator: lazyValidator,
    },
  );
  const server = mcp.server;

  registerTools({
    server,
    tools,
    guard: deps.guard,
    context: () => ({ api: deps.api, secrets, info: deps.info, now, watcher }),
    // Who is asked how, and who is shown cards: decided once per request, the same on every transport.
    clientOf: requestClient(server, deps.era),
    caller: deps.caller,
    elicit: async (req, opts) => {
      // The SDK validates the answer with this validator synchronously: have Ajv loaded first.
      await loadValidator();
      const res = await server.elicitInput(
        { mode: "form", message: req.message, requestedSchema: req.requestedSchema as never },
        { timeout: opts.timeoutMs, signal: opts.signal },
      );
      return { action: res.action, content: res.content as Record<string, unknown> | undefined };
    },
  });

  const subscribable = registerResources(mcp, [
    ...resourceDefs({
      api: deps.api,
      account: () => ({
        server: `spacepay-mcp ${VERSION}`,
        mode: deps.info.mode,
        apiHost: deps.info.apiHost,
        tools: tools.map((t) => t.name),
        ...deps.account,
      }),
      auditRecent: deps.auditRecent,
    }),
    ...APP_PAGES,
  ]);
  registerApps(mcp);
  registerPrompts(mcp, now);
  // 2026-07-28 has no resources/subscribe: the serving entry answers subscriptions/listen and honours
  // `resourceSubscriptions` only when this capability is declared. 2025 needs a session to send on.
  let subscriptions: Subscriptions | null = null;
  if (subscribable && deps.era === "modern") server.registerCapabilities({ resources: { subscribe: true } });
  else if (subscribable && !deps.stateless) subscriptions = registerSubscriptions(server, deps.api, watcher);

  // MCP log notifications go only to a client that asked for them (logging/setLevel): every
  // notification is a write on the protocol channel, and most clients never read them.
  const LEVELS: LoggingLevel[] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
  ];
  let clientLevel: number | null = null;
  server.setRequestHandler("logging/setLevel", (req) => {
    clientLevel = LEVELS.indexOf(req.params.level);
    return {};
  });

  return {
    mcp,
    logApiCall(e) {
      const level: LoggingLevel = e.error || (e.status !== null && e.status >= 400) ? "warning" : "debug";
      if (clientLevel === null || LEVELS.indexOf(level) < clientLevel || !server.transport) return;
      void server.sendLoggingMessage({ level, logger: "spacepay-api", data: e }).catch(() => {});
    },
    async close() {
      subscriptions?.close();
      ownWatcher?.close();
      await mcp.close();
    },
  };
}
