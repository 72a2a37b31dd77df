// The simulator's HTTP server (plain node:http on loopback) and its request pipeline:
// record → fault → route → auth → body → idempotency → (latency) → handler → respond.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { iso } from "./clock.js";
import { createControl, type SimulatorControl } from "./control.js";
import { ApiError, invalid, notFound, unauthenticated } from "./errors.js";
import { FaultSet, type FaultSpec } from "./faults.js";
import { IdempotencyStore } from "./idempotency.js";
import { maskHeaders, queryObject, Recorder } from "./recorder.js";
import { Router } from "./router.js";
import { controlRoutes } from "./routes/control.js";
import { hostedRoutes } from "./routes/hosted.js";
import { paymentSecretRoutes } from "./routes/payment-secret.js";
import { paymentRoutes } from "./routes/payments.js";
import { registryRoutes } from "./routes/registry.js";
import type { Ctx, Reply, Route, Runtime } from "./routes/types.js";
import { withdrawalRoutes } from "./routes/withdrawals.js";
import { loadWorld, savedPort, saveWorld } from "./persist.js";
import { Sim } from "./state.js";
import { WebhookSender, type WebhookTarget } from "./webhooks.js";

export interface SimulatorOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Omitted: the port saved in `stateFile` if it is free, else any. */
  port?: number;
  /** Seeds ids, sample payments and fault probabilities (default 1). */
  seed?: number;
  /** Merchant secret key accepted in `X-SpacePay-Secret-Key` (default `sk_test_simulator`). */
  secretKey?: string;
  /** Bearer token accepted by the withdrawal-config route (default `simulator_bearer_token`). */
  bearerToken?: string;
  merchantId?: string;
  merchantShortName?: string;
  /** Minutes a pending payment waits before it expires (default 60). */
  expiryMinutes?: number;
  /** Real milliseconds from `processing` to the final status (default 300; 0 = immediate). */
  processingMs?: number;
  /** Sample payments seeded at start (and again after a reset). */
  samplePayments?: number;
  /** Where the simulator clock starts (default: the real time). */
  now?: Date | number | string;
  /** Merchant payout wallet; null to simulate "no payout wallet configured". */
  payoutWallet?: string | null;
  /** Starting payout-wallet balance per chain, in cents (default 1,000,000 = $10,000). */
  initialBalanceCents?: number;
  /** Recorded requests kept (default 5,000). */
  maxRecordedRequests?: number;
  /**
   * Keep the world in this JSON file: loaded at start (instead of fresh sample payments when it
   * exists) and saved after every request that can change it. One process at a time per file.
   */
  stateFile?: string;
  /** Sends signed webhooks for every payment and withdrawal change to this endpoint from the start. */
  webhooks?: WebhookTarget;
}

export interface SimulatorHandle {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  control: SimulatorControl;
  /** Stops listening, destroys open (and hung) sockets, cancels timers. */
  close(): Promise<void>;
}

export const DEFAULT_SECRET_KEY = "sk_test_simulator";
export const DEFAULT_BEARER_TOKEN = "simulator_bearer_token";
export const DEFAULT_MERCHANT_ID = "5a1e5a1e-0000-4000-8000-000000000001";
const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";

const routes: Route[] = [
  ...paymentRoutes,
  ...paymentSecretRoutes,
  ...withdrawalRoutes,
  ...registryRoutes,
  ...hostedRoutes,
  ...controlRoutes,
];
const router = new Router(routes);

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const seed = options.seed ?? 1;
  const start = options.now === undefined ? Date.now() : new Date(options.now).getTime();
  if (Number.isNaN(start)) throw new RangeError(`invalid simulator start time: ${String(options.now)}`);
  const sim = new Sim(
    {
      secretKey: options.secretKey ?? DEFAULT_SECRET_KEY,
      bearerToken: options.bearerToken ?? DEFAULT_BEARER_TOKEN,
      merchantId: options.merchantId ?? DEFAULT_MERCHANT_ID,
      merchantShortName: options.merchantShortName ?? "Simulator Merchant",
      expiryMinutes: options.expiryMinutes ?? 60,
      processingMs: options.processingMs ?? 300,
      payoutWallet:
        options.payoutWallet === undefined
          ? "0x5a1e5a1e00000000000000000000000000000001"
          : options.payoutWallet,
      backendWallet: "0x5a1e5a1e000000000000000000000000000000b0",
      initialBalanceCents: options.initialBalanceCents ?? 1_000_000,
      seed,
      samplePayments: options.samplePayments ?? 0,
    },
    start,
  );
  const faults = new FaultSet(seed);
  const recorder = new Recorder(options.maxRecordedRequests ?? 5_000);
  const idempotency = new IdempotencyStore();
  const webhooks = new WebhookSender(seed);
  // Only the snapshot's two fields leave: never the payment secret or anything else it holds.
  sim.onEvent = (type, object) => webhooks.emit(type, { id: object.id, status: object.status }, sim.now());
  const control = createControl({ sim, faults, recorder, idempotency, webhooks });
  if (options.webhooks) control.webhooks(options.webhooks);
  const rt: Runtime = { sim, faults, recorder, idempotency, control };
  const stateFile = options.stateFile;
  const save = stateFile ? () => saveWorld(stateFile, sim, idempotency) : () => {};
  if (stateFile) {
    loadWorld(stateFile, sim, idempotency);
    sim.onChange = save;
  }

  const sockets = new Set<Socket>();
  const delays = new Set<NodeJS.Timeout>();
  const idPrefix = randomBytes(4).toString("hex");
  let requestCounter = 0;
  let closed = false;

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        delays.delete(t);
        resolve();
      }, ms);
      delays.add(t);
    });

  const server = createServer((req, res) => {
    const requestId = `req_${idPrefix}${(++requestCounter).toString(16).padStart(12, "0")}`;
    handle(req, res, requestId)
      .catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) send(res, errorReply(err));
      })
      // Only writes change the world (GETs at most expire payments, which loading recomputes).
      .finally(() => req.method !== "GET" && !closed && save());
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    res.setHeader("X-Request-Id", requestId);
    const method = (req.method ?? "GET").toUpperCase();
    const rawUrl = req.url ?? "/";
    const qi = rawUrl.indexOf("?");
    const path = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? "" : rawUrl.slice(qi + 1));
    const text = await readBody(req);
    if (text === null) {
      send(
        res,
        errorReply(new ApiError(413, "invalid_request_error", "body_too_large", "Request body too large")),
      );
      return;
    }
    const parsed = parseJson(text);
    const isControl = path === "/__simulator" || path.startsWith("/__simulator/");
    if (!isControl) {
      recorder.record({
        requestId,
        method,
        path,
        query: queryObject(query),
        headers: maskHeaders(req.headers),
        body: text === "" ? null : parsed.ok ? parsed.value : text,
        receivedAt: iso(sim.now()),
      });
    }
    const fault = isControl ? undefined : faults.take(method, path);
    if (fault?.kind === "reset") {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === "hang") return; // never answered; close() destroys the socket
    if (fault?.kind === "error") {
      send(res, faultErrorReply(fault));
      return;
    }

    let reply: Reply;
    let early: unknown;
    let route: Route | undefined;
    const ctx: Ctx = { rt, params: {}, query, headers: req.headers, body: undefined };
    let idem: ReturnType<IdempotencyStore["begin"]> | undefined;
    try {
      const m = router.match(method, path);
      if (m.kind === "not_found") throw notFound("route_not_found", `No route for ${method} ${path}`);
      if (m.kind === "method_not_allowed") {
        throw new ApiError(
          405,
          "invalid_request_error",
          "method_not_allowed",
          `${method} is not allowed on ${path}`,
        );
      }
      route = m.route;
      ctx.params = m.params;
      authenticate(route, ctx);
      if (method === "POST" && text.trim() !== "") {
        if (!parsed.ok) throw invalid("invalid_json", "The request body is not valid JSON");
        ctx.body = parsed.value;
      }
      const key = header(req, "idempotency-key");
      if (route.idempotencyScope && key) idem = idempotency.begin(route.idempotencyScope(ctx), key, ctx.body);
    } catch (err) {
      early = err;
    }
    if (fault?.kind === "latency") await delay(fault.latencyMs ?? 0);
    if (closed) return;
    if (early !== undefined || !route) {
      reply = errorReply(early);
    } else if (idem?.kind === "replay") {
      reply = { status: idem.status, text: idem.body, headers: { "Idempotent-Replayed": "true" } };
    } else {
      try {
        reply = await route.handle(ctx);
      } catch (err) {
        reply = errorReply(err);
      }
      if (idem?.kind === "new") {
        const body = reply.text ?? JSON.stringify(reply.body);
        idem.finish(reply.status, body);
        reply = { ...reply, text: body };
      }
    }
    if (res.destroyed) return;
    if (fault?.kind === "reset-after") {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === "hang-after") return; // processed, never answered; close() destroys the socket
    send(res, reply, fault);
  }

  function authenticate(route: Route, ctx: Ctx): void {
    const cfg = sim.config;
    if (route.auth === "secretKey") {
      if (headerOf(ctx, "x-spacepay-secret-key") !== cfg.secretKey) {
        throw unauthenticated("invalid_api_key", "Invalid or missing X-SpacePay-Secret-Key header");
      }
    } else if (route.auth === "paymentSecret") {
      const secret = headerOf(ctx, "x-spacepay-payment-secret");
      const p = secret ? sim.store.paymentsBySecret.get(secret) : undefined;
      const id = ctx.params.paymentId ?? "";
      if (p && p.id !== id && !sim.store.payments.has(id))
        throw notFound("payment_not_found", "Payment not found");
      if (!p || p.id !== id) {
        throw unauthenticated(
          "invalid_payment_secret",
          "Invalid or missing X-SpacePay-Payment-Secret header",
        );
      }
      ctx.payment = p;
    } else if (route.auth === "bearer") {
      const m = /^Bearer\s+(.+)$/i.exec(headerOf(ctx, "authorization") ?? "");
      if (!m || m[1] !== cfg.bearerToken) {
        throw unauthenticated("invalid_token", "Invalid or missing bearer token");
      }
    }
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  // A saved world's payment links name the port it ran on: take that port again so they keep working
  // after a restart. If another process holds it now, any free port will do (old links go stale then).
  const previous = options.port === undefined && stateFile ? savedPort(stateFile) : undefined;
  if (previous === undefined) await listen(options.port ?? 0);
  else await listen(previous).catch(() => listen(0));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim.baseUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    control,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        webhooks.close();
        sim.cancelTransitions();
        for (const t of delays) clearTimeout(t);
        delays.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function headerOf(ctx: Ctx, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () =>
      resolve(tooLarge ? null : chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8")),
    );
    req.on("error", reject);
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function errorReply(err: unknown): Reply {
  if (err instanceof ApiError) return { status: err.status, body: err.toBody() };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: new ApiError(500, "api_error", "internal_error", message).toBody() };
}

function faultErrorReply(fault: FaultSpec): Reply {
  const status = fault.status ?? 500;
  const error =
    status === 429
      ? new ApiError(status, "rate_limit_error", "rate_limited", "Too many requests (simulated)")
      : status === 401
        ? new ApiError(status, "authentication_error", "invalid_api_key", "Authentication failed (simulated)")
        : status >= 500
          ? new ApiError(status, "api_error", "simulated_fault", "Simulated server error")
          : new ApiError(status, "invalid_request_error", "simulated_fault", "Simulated request error");
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter);
  return { status, body: error.toBody(), headers };
}

const HTML_PAGE =
  "<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";

function send(res: ServerResponse, reply: Reply, fault?: FaultSpec): void {
  let status = reply.status;
  let body = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
  let contentType = reply.contentType ?? JSON_TYPE;
  const headers: Record<string, string | number> = { ...reply.headers };
  if (fault && (fault.kind === "truncate" || fault.kind === "html" || fault.kind === "empty")) {
    status = fault.status ?? status;
    if (fault.kind === "truncate") {
      // Chunked and cleanly ended: the client gets a complete HTTP response whose JSON is cut short.
      res.writeHead(status, { ...headers, "Content-Type": contentType });
      res.end(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    if (fault.kind === "html") {
      body = HTML_PAGE;
      contentType = "text/html; charset=utf-8";
    } else body = "";
  }
  headers["Content-Type"] = contentType;
  headers["Content-Length"] = Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
}
