// The transport-independent server factory: tools, resources, prompts, subscriptions and logging
// over injected dependencies. stdio and Streamable HTTP entries are thin wrappers around it.
import { LOG_LEVEL_META_KEY, McpServer, type LoggingLevel } from "@modelcontextprotocol/server";
import type { SpacePayApi } from "../spacepay/types.js";
import { VERSION } from "../version.js";
import type { SecretStore } from "../domain.js";
import type { ServerGuard } from "../safety/guard.js";
import type { OrderIndex } from "../safety/order-index-sync.js";
import { registerTools } from "./register-tools.js";
import { registerResources, resourceDefs } from "./resources.js";
import { registerPrompts } from "./prompts.js";
import { registerSubscriptions, type Subscriptions } from "./subscriptions.js";
import { createPaymentWatcher, type PaymentWatcher } from "./payment-watch.js";
import { instructions } from "./instructions.js";
import { APP_PAGES, APPS_CAPABILITY } from "./apps.js";
import { modernRequest, requestClient } from "./request-client.js";
import type { AnyTool, ServerInfo } from "./tool.js";
import { TOOLS } from "./tools/index.js";
import { lazyValidator, loadValidator } from "./lazy-validator.js";
import { scopeRequests } from "./call-log.js";
// Once per process: a per-request server's close constructs no exception (see the module).
import "./quiet-close.js";

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
  /** The order index list_payments looks orders and dates up in; without it, it scans. */
  orderIndex?: OrderIndex;
  /** Interval of that own loop (default 2000 ms). */
  pollIntervalMs?: number;
  /**
   * Whether resources/list shows payment and withdrawal instances (their ids and statuses); false for
   * an OAuth caller who may not read them (select-tools.ts listsInstances). Default true.
   */
  listInstances?: boolean;
  /** Who calls (the OAuth subject of an HTTP request), for the guard and the watch limit. */
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
  /**
   * The one method this instance will answer (a 2026-07-28 request over HTTP gets a server of its
   * own): only the handlers that method needs are registered, so a tools/call does not pay for
   * prompts and resources. Capabilities are declared in full either way. Unset: every handler.
   */
  method?: string;
}

/**
 * Whether any resource row is subscribable: the rows' flags do not depend on a server's deps, so the
 * table is read once per process (an instance that registers no resources still declares the capability).
 */
const SUBSCRIBABLE = [...resourceDefs({ api: null as never, account: () => ({}) }), ...APP_PAGES].some(
  (d) => d.subscribable,
);

/**
 * Declared in the constructor, the same for every instance (the SDK copies it), the MCP Apps UI
 * extension (apps.ts) among them: what is declared later costs a merge each.
 */
const FIXED_CAPABILITIES = { logging: {}, completions: {}, ...APPS_CAPABILITY };

const systemNow = () => new Date();

/** Which handlers an instance answering `method` needs (all of them when it may answer anything). */
function handlersFor(method: string | undefined) {
  const any = method === undefined;
  const completion = method === "completion/complete";
  return {
    tools: any || method.startsWith("tools/"),
    prompts: any || completion || method.startsWith("prompts/"),
    resources: any || completion || method.startsWith("resources/"),
  };
}

export interface SpacePayServer {
  mcp: McpServer;
  close(): Promise<void>;
}

export function memorySecretStore(): SecretStore {
  const map = new Map<string, string>();
  return { get: (id) => map.get(id), put: (id, s) => void map.set(id, s) };
}

export function createServer(deps: ServerDeps): SpacePayServer {
  const tools = deps.tools ?? TOOLS;
  const secrets = deps.secrets ?? memorySecretStore();
  const now = deps.now ?? systemNow;
  const ownWatcher = deps.watcher ? null : createPaymentWatcher(deps.api, deps.pollIntervalMs ?? 2000);
  // What this server's caller watches counts against its own limit (SPACEPAY_MAX_WATCHES_PER_CALLER).
  const watcher = (deps.watcher ?? ownWatcher!).forCaller(deps.caller);
  const mcp = new McpServer(
    { name: "spacepay-mcp", title: "SpacePay", version: VERSION },
    {
      // Tools, prompts and resources are declared below, after scopeRequests: declared here, the SDK
      // would register their handlers now, before call-log.ts can wrap them.
      capabilities: FIXED_CAPABILITIES,
      instructions: instructions(deps.info.mode),
      jsonSchemaValidator: lazyValidator,
    },
  );
  const server = mcp.server;

  // The one place that decides which requests get MCP log notifications of their API calls, and at
  // what level (call-log.ts sends them, to that request alone). Most clients never read them, and each
  // is a write on the protocol channel: only a client that asked gets any. 2026-07-28 asks per request
  // (the envelope's logLevel); 2025 per session (logging/setLevel), which a stateless HTTP request,
  // a session of one request, never keeps.
  let sessionLevel: LoggingLevel | null = null;
  // Registered only where it can arrive: an instance made for one other method never sees it.
  if (deps.method === undefined || deps.method === "logging/setLevel")
    server.setRequestHandler("logging/setLevel", (req) => {
      sessionLevel = req.params.level;
      return {};
    });
  scopeRequests(server, (ctx) => {
    const level = modernRequest(deps.era, ctx)
      ? (ctx.mcpReq.envelope as Record<string, LoggingLevel | undefined> | undefined)?.[LOG_LEVEL_META_KEY]
      : sessionLevel;
    // Over HTTP a notification turns the answer into an SSE stream: not for a client that cannot read one.
    const accept = ctx.http?.req?.headers.get("accept");
    if (!level || (accept != null && !accept.includes("text/event-stream"))) return undefined;
    // Related to this request: on HTTP it travels on this request's own SSE response stream.
    return { level, send: (params) => ctx.mcpReq.notify({ method: "notifications/message", params }) };
  });
  // listChanged: the lists are fixed for a build; only over stdio does the warm start
  // (cli/warm-record.ts) tell a client whose first listing came from an out-of-date cache to
  // fetch it again, so only there is it declared (the SDK would declare true everywhere).
  // subscribe: 2026-07-28 has no resources/subscribe; the serving entry answers subscriptions/listen
  // and honours `resourceSubscriptions` only when it is declared. One declaration, not one per kind.
  const listChanged = !deps.stateless;
  const subscribe = SUBSCRIBABLE && deps.era === "modern";
  server.registerCapabilities({
    tools: { listChanged },
    prompts: { listChanged },
    resources: subscribe ? { listChanged, subscribe } : { listChanged },
  });

  const needs = handlersFor(deps.method);
  if (needs.tools)
    registerTools({
      server,
      tools,
      guard: deps.guard,
      context: () => ({ api: deps.api, secrets, info: deps.info, now, watcher, orderIndex: deps.orderIndex }),
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
      elicitUrl: async (req, opts) => {
        const res = await server.elicitInput(
          { mode: "url", message: req.message, url: req.url, elicitationId: req.elicitationId },
          { timeout: opts.timeoutMs, signal: opts.signal },
        );
        return { action: res.action };
      },
    });

  if (needs.resources) {
    const defs = [
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
    ];
    registerResources(
      mcp,
      deps.api,
      deps.listInstances === false ? defs.map(({ list: _instances, ...def }) => def) : defs,
    );
  }
  if (needs.prompts) registerPrompts(mcp, now);
  // 2025 subscriptions need a session to send on (2026-07-28's are declared above).
  let subscriptions: Subscriptions | null = null;
  if (SUBSCRIBABLE && deps.era !== "modern" && !deps.stateless)
    subscriptions = registerSubscriptions(server, deps.api, watcher);

  return {
    mcp,
    async close() {
      subscriptions?.close();
      ownWatcher?.close();
      await mcp.close();
    },
  };
}
