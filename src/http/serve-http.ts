// Streamable HTTP at /mcp, stateless: each POST gets a fresh server over the shared runtime.
// Bound to loopback by default with Host and Origin checked against DNS rebinding. With
// SPACEPAY_MCP_HTTP_TOKEN set, every request must carry it as a bearer token; without it (loopback
// only, config enforces that) the runtime offers no money-moving tools (server/select-tools.ts).
// With OAuth (oauth.ts), each request's access token decides who calls and which tools it sees.
// The edge (edge.ts) checks each request and picks its route from the table below; /mcp is
// mcp-route.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SpacePayServer } from "../server/create-server.js";
import { InFlight } from "../server/in-flight.js";
import type { ListenWatches } from "../server/subscriptions.js";
import type { Principal } from "../domain.js";
import { log } from "../log.js";
import { LOOPBACK_HOSTS } from "../config/index.js";
import {
  answerError,
  answerJson,
  anyone,
  bearerToken,
  edge,
  get,
  loopbackHost,
  oauthToken,
  post,
  sameOrigin,
  type Refusal,
  type Route,
} from "./edge.js";
import { PROBE_PATHS, probeRoutes, type Readiness } from "./probes.js";
import { mcpRoute } from "./mcp-route.js";
import { APPROVALS_PREFIX } from "../approvals/contract.js";
import type { ApprovalPages } from "../approvals/serve.js";
import { limitedServer, type HttpLimits } from "./connections.js";
// Types only: jose and the OAuth code load only when OAuth is configured (cli/serve.ts).
import type { OAuthGate } from "./oauth.js";

/** Where SPACEPAY_METRICS=prometheus serves the metrics. */
const METRICS_PATH = "/metrics";

export interface HttpOptions {
  host: string;
  port: number;
  /** Bound to loopback, the host names a request's Host and Origin may carry (config's hostAllowList). */
  allowedHosts: ReadonlySet<string>;
  /** Timeouts, connection caps and the body limit (config's http* settings). */
  limits: HttpLimits;
  /** Checked on every request when set; required off loopback and for money-moving tools. */
  token: string | null;
  /** OAuth access tokens instead of the shared token (config allows one or the other). */
  oauth?: OAuthGate | null;
  /**
   * A server for one request; with OAuth, for the token's principal; `era` as the SDK classified the
   * request (2026-07-28 `modern`, or `legacy`); `method` when the server answers that one request.
   */
  newServer: (principal?: Principal, era?: "legacy" | "modern", method?: string) => SpacePayServer;
  /** Watches for 2026-07-28 listen streams, publishing each payment change with `publish`. */
  listenWatches?: (publish: (uri: string) => void) => ListenWatches;
  /** The passkey approval pages under /approvals/ (with SPACEPAY_PUBLIC_URL). */
  approvalPages?: ApprovalPages | null;
  /** GET /metrics (SPACEPAY_METRICS=prometheus): the handler, and the bearer it requires if any. */
  metrics?: { token: string | null; handle: Route["handle"] } | null;
  /** POST /webhooks/spacepay (SPACEPAY_WEBHOOK_SECRET): the route, loaded only then (webhooks/receiver.ts). */
  webhooks?: Route | null;
  /** Durable state's readiness checks for GET /readyz (the runtime's); the rest are added here. */
  readiness?: () => Promise<Readiness>;
}

/** The approval pages' JSON bodies are WebAuthn responses: small. */
const PAGE_BODY = 64 * 1024;

const approvalPagesRoute =
  (pages: ApprovalPages): Route["handle"] =>
  async (req, res, { body }) => {
    if (!(await pages(req, res, body))) res.writeHead(404).end();
  };

export interface RunningHttp {
  url: string;
  /**
   * The stop begins: /readyz answers 503 and every other new request a 503 (the listener stays open,
   * so a load balancer's probe sees the stop), idle connections are dropped; requests in progress go on.
   */
  stopAccepting(): void;
  /**
   * Resolves once every request in progress has its response ended and handed to the OS (listen
   * streams aside: they stay open until close), or after `boundMs`; with how many are left.
   */
  answered(boundMs: number): Promise<number>;
  /** Ends every connection, in progress or not. */
  close(): Promise<void>;
}

export async function serveHttp(opts: HttpOptions): Promise<RunningHttp> {
  const loopback = LOOPBACK_HOSTS.has(opts.host.toLowerCase());
  // Every response from its request's arrival until it is finished (handed to the OS) or its
  // connection is gone: closing the connections before then would lose a money call's answer.
  const inFlight = new InFlight<ServerResponse>();
  const mcp = mcpRoute({
    bodyLimit: opts.limits.httpMaxBodyBytes,
    oauth: opts.oauth,
    newServer: opts.newServer,
    listenWatches: opts.listenWatches,
    notAnAnswer: (res) => inFlight.done(res),
  });
  const caller = opts.oauth ? oauthToken(opts.oauth) : opts.token ? bearerToken(opts.token) : anyone;
  const oauth = opts.oauth;
  const pages = opts.approvalPages && approvalPagesRoute(opts.approvalPages);
  const metrics = opts.metrics;
  let draining = false;
  const readiness = async (): Promise<Readiness> => ({
    // Valid, or the server would not have started (config refuses before anything listens).
    configuration: true,
    ...(await opts.readiness?.()),
    ...(oauth && { oauthKeys: await oauth.keysLoaded() }),
    notDraining: !draining,
  });
  // One row per route: its paths, who may call, and how much body it may send.
  const routes: Route[] = [
    post(["/mcp"], caller, opts.limits.httpMaxBodyBytes, mcp.handle),
    ...probeRoutes(readiness),
    ...(oauth ? [get(oauth.metadataPaths, anyone, (_req, res) => answerJson(res, oauth.metadata))] : []),
    // A person's browser carries no MCP token: on the approval pages the passkey is the credential.
    ...(pages
      ? [
          {
            paths: [APPROVALS_PREFIX],
            methods: ["GET", "POST"],
            auth: anyone,
            bodyLimit: PAGE_BODY,
            handle: pages,
          },
        ]
      : []),
    ...(metrics
      ? [
          get(
            [METRICS_PATH],
            metrics.token ? bearerToken(metrics.token, "SPACEPAY_METRICS_TOKEN") : anyone,
            metrics.handle,
          ),
        ]
      : []),
    // Its signature is its authentication: no MCP token.
    ...(opts.webhooks ? [opts.webhooks] : []),
  ];
  // While the stop drains, only the probes and the metrics are answered (operators scrape an instance's
  // last figures until it exits): everything else new is told to go elsewhere.
  const servedWhileDraining: readonly string[] = [...PROBE_PATHS, ...(metrics ? [METRICS_PATH] : [])];
  const whileDraining = (req: IncomingMessage): Refusal | null =>
    draining && !servedWhileDraining.includes(new URL(req.url ?? "/", "http://x").pathname)
      ? { status: 503, message: "Service unavailable: the server is stopping" }
      : null;
  const handle = edge(
    [
      ...(loopback ? [loopbackHost(opts.allowedHosts), sameOrigin(opts.allowedHosts)] : [sameOrigin(null)]),
      whileDraining,
    ],
    routes,
  );

  // Shared by every request (`this` is the response): no closures made per request.
  function answered(this: ServerResponse) {
    inFlight.done(this);
  }
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.on("close", answered);
    try {
      await handle(req, res);
    } catch (err) {
      log("error", `HTTP request failed: ${(err as Error).message}`);
      if (!res.headersSent) answerError(res, { status: 500, message: "Internal error" });
      else res.end();
    }
  };
  const http = limitedServer(opts.limits, (req, res) => void serve(req, res));
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  const shownHost = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    stopAccepting: () => {
      draining = true;
      http.closeIdleConnections();
    },
    answered: (boundMs) => inFlight.settled(boundMs),
    close: () =>
      new Promise<void>((resolve) => {
        mcp.close();
        for (const route of routes) route.close?.();
        http.closeAllConnections();
        if (!http.listening) return resolve();
        http.close(() => resolve());
      }),
  };
}
