// Where an API call's MCP log notification goes: to the request whose handler made the call, on that
// request's own channel (its SSE response stream over HTTP), if that request asked for logs. The API
// client reports every attempt to one process-wide hook; the request in scope (AsyncLocalStorage,
// inherited through every await of the handler, the guard included) says where it goes.
import { AsyncLocalStorage } from "node:async_hooks";
import type { LoggingLevel, Server, ServerContext } from "@modelcontextprotocol/server";
import type { RequestLogEvent } from "../spacepay/types.js";

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

const scope = new AsyncLocalStorage<Scope>();

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
    (handler: (request: unknown, ctx: ServerContext) => unknown) =>
    (request: unknown, ctx: ServerContext) => {
      const s: Scope = { log: logOf(ctx), open: true };
      return scope.run(s, () => {
        const answer = handler(request, ctx);
        const close = () => void (s.open = false);
        // The SDK gets the handler's own promise, not one chained after it: its answer goes out on the
        // same tick as before (a graceful stop closes the transport right after the guard's call settles).
        void Promise.resolve(answer).then(close, close);
        return answer;
      });
    };
  (server as { setRequestHandler: unknown }).setRequestHandler = (method: string, ...rest: unknown[]) => {
    const handler = rest.pop() as (request: unknown, ctx: ServerContext) => unknown;
    register(method, ...rest, wrap(handler));
  };
}

/**
 * Runs `fn` outside any request: for work that outlives the request that started it (the shared
 * payment poll loop, reconciliation), whose API calls belong to no caller and go to stderr only.
 */
export function outsideRequests<T>(fn: () => T): T {
  return scope.exit(fn);
}

/** One API attempt, to the request that caused it: failures at warning, the rest at debug. */
export function logToCaller(e: RequestLogEvent): void {
  const s = scope.getStore();
  if (!s?.open || !s.log) return;
  const level: LoggingLevel = e.error || (e.status !== null && e.status >= 400) ? "warning" : "debug";
  if (LEVELS.indexOf(level) < LEVELS.indexOf(s.log.level)) return;
  void s.log.send({ level, logger: "spacepay-api", data: e }).catch(() => {});
}
