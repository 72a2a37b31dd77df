// Where an API call's MCP log notification goes: to the request whose handler made the call, on that
// request's own channel (its SSE response stream over HTTP), if that request asked for logs. Each
// request's handler reaches SpacePay through `callerApi(api, ctx)`: a view of the one client that also
// reports its attempts to that request. Carried explicitly, not in AsyncLocalStorage: in Node 20 an
// active AsyncLocalStorage installs promise hooks that tax every promise in the process (measured:
// ~5% of a get_payment's server CPU), and the request's context is at hand wherever a call is made.
import type { LoggingLevel, Server, ServerContext } from "@modelcontextprotocol/server";
import type { RequestLogEvent, SpacePayApi } from "../spacepay/types.js";
import { telemetry } from "../telemetry.js";
import { requestInfo } from "./request-span.js";

const LEVELS: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

/** What one request asked for: the least severe level it wants, and how to reach that request alone. */
export interface CallLog {
  level: LoggingLevel;
  send(params: { level: LoggingLevel; logger: string; data: unknown }): Promise<void>;
}

interface Scope {
  log: CallLog | undefined;
  /** False once the request is answered: nothing is sent on a finished request's channel. */
  open: boolean;
}

/** The scope of each request being handled, by the context the SDK hands its handler. */
const scopes = new WeakMap<ServerContext, Scope>();

/**
 * Runs every request handler `server` registers (now or later, the SDK's own resource and prompt
 * handlers included) with its request in scope, so any API call it makes is reported to it alone.
 * `logOf` decides, per request, whether and at what level it wants logs.
 */
export function scopeRequests(server: Server, logOf: (ctx: ServerContext) => CallLog | undefined): void {
  // The SDK hands each request to its handler with that request's context and no hook around it, so
  // the one place to reach every handler is their registration on this instance.
  const register = server.setRequestHandler.bind(server) as (method: string, ...rest: unknown[]) => void;
  const wrap =
    (method: string, handler: (request: unknown, ctx: ServerContext) => unknown) =>
    (request: unknown, ctx: ServerContext) =>
      // Inside its server span when tracing (a plain call otherwise), so API attempts and guard steps nest.
      telemetry.request(
        () => requestInfo(server, method, request, ctx),
        () => scoped(handler, request, ctx),
      );
  const scoped = (
    handler: (request: unknown, ctx: ServerContext) => unknown,
    request: unknown,
    ctx: ServerContext,
  ) => {
    const log = logOf(ctx);
    // A request that asked for nothing costs nothing more: its handlers get the plain client.
    if (!log) return handler(request, ctx);
    const s: Scope = { log, open: true };
    scopes.set(ctx, s);
    const answer = handler(request, ctx);
    const close = () => void (s.open = false);
    // The SDK gets the handler's own promise, not one chained after it: scoping a request for logs
    // must not delay its answer by a tick.
    void Promise.resolve(answer).then(close, close);
    return answer;
  };
  (server as { setRequestHandler: unknown }).setRequestHandler = (method: string, ...rest: unknown[]) => {
    const handler = rest.pop() as (request: unknown, ctx: ServerContext) => unknown;
    register(method, ...rest, wrap(method, handler));
  };
}

/**
 * The client as the request with context `ctx` uses it: every API attempt it makes is also reported
 * to that request (when it asked for logs, and only while it is unanswered). Work that outlives the
 * request (the shared payment poll loop, reconciliation) holds the plain client, so its calls belong
 * to no caller and go to stderr only.
 */
export function callerApi(api: SpacePayApi, ctx: ServerContext | undefined): SpacePayApi {
  const s = ctx && scopes.get(ctx);
  if (!s || !api.forCaller) return api;
  return api.forCaller((e) => logToCaller(s, e));
}

/** One API attempt, to the request that caused it: failures at warning, the rest at debug. */
function logToCaller(s: Scope, e: RequestLogEvent): void {
  if (!s.open || !s.log) return;
  const level: LoggingLevel = e.error || (e.status !== null && e.status >= 400) ? "warning" : "debug";
  if (LEVELS.indexOf(level) < LEVELS.indexOf(s.log.level)) return;
  void s.log.send({ level, logger: "spacepay-api", data: e }).catch(() => {});
}
