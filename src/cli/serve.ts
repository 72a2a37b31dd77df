// `spacepay-mcp` with no subcommand: load the config, build the runtime, and serve MCP over stdio
// (or Streamable HTTP with --http) until the client goes away or a signal arrives.
import { randomBytes } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/server";
import { ConfigError, loadConfig, SETTINGS, type Config } from "../config/index.js";
import { log, presetLogFormat, registerSecret, setLogFormat, setLogLevel } from "../log.js";
import { callBoundMs, createRuntime, stateProblemLine, type Runtime } from "../runtime.js";
import { telemetry } from "../telemetry.js";
import type { HttpOptions } from "../http/serve-http.js";
import { TOOL_NAMES } from "../server/tools/index.js";
import { SCOPE_POLICY } from "../server/select-tools.js";
import { limitHeapGrowth } from "./heap.js";
import { listenProblem } from "./listen-error.js";
import type { SpacePayServer } from "../server/create-server.js";
// Loaded with the server anyway (create-server.ts imports it).
import { listenWatches } from "../server/subscriptions.js";
import { ListenStreamsTransport } from "../server/listen-streams.js";
import { AfterFirstSendTransport } from "../server/first-send.js";

/** One startup line per reason, so a missing tool is never a mystery (e.g. HTTP without a token). */
function logDisabledTools(disabled: Record<string, string>): void {
  const byReason = new Map<string, string[]>();
  for (const [name, reason] of Object.entries(disabled))
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  for (const [reason, names] of byReason) log("info", `tools not offered (${names.join(", ")}): ${reason}`);
}

/**
 * OpenTelemetry, when the configuration turns it on (its modules are loaded only then): installs the
 * instrumentation and returns the GET /metrics route when Prometheus is asked for.
 */
async function startTelemetry(config: Config, runtime: Runtime): Promise<HttpOptions["metrics"]> {
  if (!config.telemetry) return null;
  const t = config.telemetry;
  const { startTelemetry } = await import("../telemetry/otel.js");
  const { metricsRoute } = await startTelemetry(t, {
    apiUrl: runtime.simulator?.url ?? config.apiUrl,
    withdrawalTotalCents: () => runtime.withdrawalTotalCents(),
    events: () => runtime.events,
    index: () => runtime.orderIndex.stats(),
  });
  const otlp = [t.traces && "traces", t.otlpMetrics && "metrics"].filter(Boolean).join(" and ");
  if (otlp) log("info", `OpenTelemetry: exporting ${otlp} over OTLP/HTTP (${t.protocol})`);
  if (!metricsRoute) return null;
  log(
    "info",
    `metrics: Prometheus format at GET /metrics${t.metricsToken ? " (bearer token required)" : ""}`,
  );
  return { token: t.metricsToken, handle: metricsRoute };
}

/**
 * POST /webhooks/spacepay, when SPACEPAY_WEBHOOK_SECRET is set (its modules are loaded only then):
 * verified events are deduplicated in durable state, then fetched by id and fanned out to watchers.
 * In demo mode the in-process simulator sends its webhooks there, signed with a secret made for the run.
 */
async function startWebhooks(
  config: Config,
  runtime: Runtime,
): Promise<{ route: NonNullable<HttpOptions["webhooks"]>; path: string; secret: string } | null> {
  const secrets = config.webhookSecret ?? (runtime.simulator ? [randomBytes(24).toString("hex")] : null);
  if (!secrets) return null;
  registerSecret(secrets[0]);
  const [{ webhookRoute, WEBHOOK_PATH }, { eventActor }] = await Promise.all([
    import("../webhooks/receiver.js"),
    import("../webhooks/act.js"),
  ]);
  log(
    "info",
    `webhooks: SpacePay events accepted at POST ${WEBHOOK_PATH}${secrets.length > 1 ? " (two secrets: a rotation)" : ""}; payments polled every ${config.pollIntervalMs} ms as a safety net`,
  );
  runtime.events.configured = true;
  const route = webhookRoute({
    secrets,
    toleranceMs: config.webhookToleranceSeconds * 1000,
    claim: (id) => runtime.claimEvent(id),
    act: eventActor({
      api: runtime.background,
      orderIndex: runtime.orderIndex,
      paymentChanged: (id, status) => runtime.paymentChanged(id, status),
      withdrawalChanged: (id, status) => runtime.withdrawalChanged(id, status),
    }),
    counters: runtime.events,
  });
  return { route, path: WEBHOOK_PATH, secret: secrets[0]! };
}

/** How long after a stdio session opens its state the order index backfill starts. */
const INDEX_START_DELAY_MS = 5_000;
export type ListKind = "tools" | "prompts" | "resources";

/** What the stdio front (stdio-front.ts) hands over when it answered the first requests itself. */
export interface StdioHandover {
  /** Read instead of process.stdin: the replayed and queued messages, then the rest of stdin; it ends when stdin does. */
  stdin: Readable;
  /**
   * Wraps the stdio chain before the SDK gets it (dropping the answers to replayed requests).
   * `listChanged` announces a list through the connection's server, so the SDK delivers it as the
   * era requires (2025: unsolicited; 2026-07-28: on the listen streams that asked for it).
   */
  wrap(transport: Transport, listChanged: (list: ListKind) => void): Transport;
}

export async function serve(
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
  handover?: StdioHandover,
): Promise<number> {
  // A configuration problem is logged before the configuration (and its format) is known.
  presetLogFormat(flags, env);
  let config;
  try {
    config = loadConfig({ env, flags, knownTools: TOOL_NAMES, refuseUnknownFlags: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      log("error", `configuration problem, not starting:\n${err.message}`);
      return 2;
    }
    throw err;
  }
  setLogLevel(config.logLevel);
  setLogFormat(config.logFormat);
  const runtime = await createRuntime(config);
  if (config.mode === "demo") {
    log("info", `demo mode: simulated SpacePay, no real money (simulator at ${runtime.simulator?.url})`);
  } else {
    // Nothing has been contacted yet: the first call is the first request.
    log("info", `configured for ${runtime.info.apiHost} in ${config.mode} mode`);
  }
  for (const warning of config.warnings) log("warn", warning);
  logDisabledTools(runtime.disabledTools);
  const metrics = await startTelemetry(config, runtime);

  // A graceful stop: no new connections or money calls; wait for the money calls in flight to record
  // their outcomes and for every request in flight to be answered (one bound for both, the longest a
  // call can take); then close the transport, the state store and the audit log.
  let stopping: Promise<void> | null = null;
  let stopAccepting: () => void = () => {};
  let answered: (boundMs: number) => Promise<number> = async () => 0;
  let closeTransport: () => Promise<void> = async () => {};
  const stop = (why: string) =>
    (stopping ??= (async () => {
      log("info", `stopping (${why})`);
      stopAccepting();
      const boundMs = callBoundMs(runtime.config);
      const [, unanswered] = await Promise.all([
        runtime.drain().catch((err: Error) => log("error", `stopping: ${err.message}`)),
        answered(boundMs),
      ]);
      if (unanswered)
        log("warn", `stopping: gave up after ${boundMs} ms on ${unanswered} unanswered request(s)`);
      await closeTransport().catch(() => {});
      // Every request is answered: flush the last spans and metrics while the ledger is still open.
      await telemetry.shutdown();
      await runtime.close().catch(() => {});
    })());

  if (config.http) {
    // Fail fast: a wrong database password, a state directory that is a file or a state key that does
    // not open the data must stop the start here, not surface at the first money call.
    const problem = await runtime.checkState();
    if (problem) {
      log("error", `durable state does not open, not starting: ${stateProblemLine(problem)}`);
      await runtime.close().catch(() => {});
      return 2;
    }
    const { serveHttp } = await import("../http/serve-http.js");
    const oauth =
      config.oauth &&
      (await import("../http/oauth.js")).createOAuthGate({ ...config.oauth, ...SCOPE_POLICY });
    const webhooks = await startWebhooks(config, runtime);
    let http;
    try {
      http = await serveHttp({
        host: config.host,
        port: config.port,
        allowedHosts: config.hostAllowList,
        limits: config,
        token: config.mcpHttpToken,
        oauth,
        newServer: (principal, era, method) => runtime.newServer({ stateless: true, principal, era, method }),
        listenWatches: (publish) => listenWatches(runtime.background, runtime.watcher, publish),
        readiness: () => runtime.readiness(),
        approvalPages: runtime.approvalPages,
        metrics,
        webhooks: webhooks?.route,
      });
    } catch (err) {
      const problem = listenProblem(err, config, {
        port: `--port (${SETTINGS.port.env})`,
        host: `--host (${SETTINGS.host.env})`,
      });
      if (!problem) throw err;
      log("error", `cannot listen, not starting: ${problem}`);
      await runtime.close().catch(() => {});
      return 2;
    }
    if (config.oauth) {
      log("info", `OAuth: accepting access tokens from ${config.oauth.issuer} for ${config.oauth.audience}`);
      // In the background: an unreachable issuer must not stop the server; requests retry it.
      void oauth?.warmUp();
    }
    // Serving, with durable state open: the order index fills in the background (its backfill).
    runtime.orderIndex.start();
    if (webhooks && runtime.simulator) {
      const url = http.url.replace(/\/mcp$/, webhooks.path);
      runtime.simulator.control.webhooks({ url, secret: webhooks.secret });
      log("info", `demo mode: the simulator sends its webhooks to ${url}`);
    }
    stopAccepting = () => http.stopAccepting();
    answered = (boundMs) => http.answered(boundMs);
    closeTransport = () => http.close();
    log("info", `MCP over Streamable HTTP at ${http.url}`);
  } else {
    const [
      { serveStdio, StdioServerTransport },
      { CheckingTransport, envelopeVersionCheck, paramsRefusal },
      { AnswerTrackingTransport },
    ] = await Promise.all([
      import("@modelcontextprotocol/server/stdio"),
      import("../server/request-check.js"),
      import("../server/in-flight.js"),
    ]);
    // 2026-07-28 listen streams: the SDK answers them and routes the pinned server's
    // resources/updated notifications onto the streams that list the URI; the watches start at the
    // edge (listen-streams.ts).
    let pinned: SpacePayServer | undefined;
    const listens = listenWatches(runtime.background, runtime.watcher, (uri) => {
      void pinned?.mcp.server.sendResourceUpdated({ uri }).catch(() => {});
    });
    // The SDK's transport closes itself when stdin ends, aborting the calls in flight; the graceful
    // stop below must let a money call finish, record its outcome and answer first. So the transport
    // reads a copy of stdin that never ends, and the end of the real one is handled here.
    const stdin = handover?.stdin ?? process.stdin;
    const input = new PassThrough();
    stdin.pipe(input, { end: false });
    // The same checks as HTTP's, once the first answers are out (the warm start keeps its figures); a
    // failure does not stop a session that can still read: it is logged, shown in spacepay://account,
    // and named by every money call's refusal.
    const checkState = () =>
      void runtime.checkState().then((problem) => {
        if (problem)
          log(
            "error",
            `durable state does not open; money-moving tools will refuse: ${stateProblemLine(problem)}`,
          );
        // A moment later: the backfill's first request loads the HTTP client, which a stdio session's
        // start should not pay for before its first call.
        else setTimeout(() => runtime.orderIndex.start(), INDEX_START_DELAY_MS).unref();
      });
    const checked = new ListenStreamsTransport(
      new CheckingTransport(
        new AfterFirstSendTransport(new StdioServerTransport(input, process.stdout), checkState),
        [paramsRefusal, envelopeVersionCheck()],
      ),
      listens,
    );
    const servers: SpacePayServer[] = [];
    const listChanged = (list: ListKind) => {
      const mcp = (pinned ?? servers.at(-1))?.mcp;
      if (list === "tools") mcp?.sendToolListChanged();
      else if (list === "prompts") mcp?.sendPromptListChanged();
      else mcp?.sendResourceListChanged();
    };
    // Outermost, so it sees what the SDK receives and sends (answers the warm start drops included).
    const transport = new AnswerTrackingTransport(handover ? handover.wrap(checked, listChanged) : checked);
    answered = (boundMs) => transport.inFlight.settled(boundMs);
    // The SDK picks the era from the first message (`initialize`: 2025, an envelope: 2026-07-28) and
    // builds a server for it; a `server/discover` probe gets one too, dropped if the client falls back.
    const handle = serveStdio(
      ({ era }) => {
        const server = runtime.newServer({ era });
        servers.push(server);
        if (era === "modern") pinned = server;
        return server.mcp;
      },
      { transport, onerror: (err) => log("error", `stdio: ${err.message}`) },
    );
    closeTransport = async () => {
      // The answers are handed to stdout; a pipe writes them later, and the process exits after this.
      await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
      listens.closeAll();
      await handle.close();
      for (const s of servers) await s.close();
      // A piped stdin keeps the process alive; nothing more is read after the stop.
      stdin.unpipe(input);
      process.stdin.pause();
    };
    // serveStdio owns the transport's callbacks (chained through the checking wrapper): the SDK reports
    // a line it cannot read to onerror, and closes the transport itself when a line exceeds its buffer
    // limit (STDIO_DEFAULT_MAX_BUFFER_SIZE).
    const sdkOnClose = transport.onclose;
    transport.onclose = () => {
      sdkOnClose?.();
      if (stopping) return;
      log("error", "stdio transport closed after an error; stopping");
      void stop("stdio transport error").then(() => process.exit(1));
    };
    // The client closing stdin is the normal way a stdio server is told to stop.
    stdin.once("end", () => void stop("stdin closed").then(() => process.exit(0)));
  }

  limitHeapGrowth();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => void stop(signal).then(resolve);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  return 0;
}
