// `spacepay-mcp` with no subcommand: load the config, build the runtime, and serve MCP over stdio
// (or Streamable HTTP with --http) until the client goes away or a signal arrives.
import { ConfigError, loadConfig } from "../config.js";
import { log, setLogLevel } from "../log.js";
import { createRuntime } from "../runtime.js";
import { TOOL_NAMES } from "../server/tools/index.js";
import { SCOPE_POLICY } from "../server/select-tools.js";
import { limitHeapGrowth } from "./heap.js";

/** One startup line per reason, so a missing tool is never a mystery (e.g. HTTP without a token). */
function logDisabledTools(disabled: Record<string, string>): void {
  const byReason = new Map<string, string[]>();
  for (const [name, reason] of Object.entries(disabled))
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  for (const [reason, names] of byReason) log("info", `tools not offered (${names.join(", ")}): ${reason}`);
}

export async function serve(
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
): Promise<number> {
  let config;
  try {
    config = loadConfig({ env, flags, knownTools: TOOL_NAMES });
  } catch (err) {
    if (err instanceof ConfigError) {
      log("error", `configuration problem, not starting:\n${err.message}`);
      return 2;
    }
    throw err;
  }
  setLogLevel(config.logLevel);
  const runtime = await createRuntime(config);
  if (config.mode === "demo") {
    log("info", `demo mode: simulated SpacePay, no real money (simulator at ${runtime.simulator?.url})`);
  } else {
    log("info", `connected to ${runtime.info.apiHost} in ${config.mode} mode`);
  }
  logDisabledTools(runtime.disabledTools);

  // A graceful stop: no new connections or money calls, wait for the ones in flight to record their
  // outcomes (bounded), then close the transport, the state store and the audit log.
  let stopping: Promise<void> | null = null;
  let stopAccepting: () => void = () => {};
  let closeTransport: () => Promise<void> = async () => {};
  const stop = (why: string) =>
    (stopping ??= (async () => {
      log("info", `stopping (${why})`);
      stopAccepting();
      await runtime.drain().catch((err: Error) => log("error", `stopping: ${err.message}`));
      await closeTransport().catch(() => {});
      await runtime.close().catch(() => {});
    })());

  if (config.http) {
    const { serveHttp } = await import("../http/serve-http.js");
    const oauth =
      config.oauth &&
      (await import("../http/oauth.js")).createOAuthGate({ ...config.oauth, ...SCOPE_POLICY });
    const http = await serveHttp({
      host: config.host,
      port: config.port,
      token: config.mcpHttpToken,
      oauth,
      newServer: (principal) => runtime.newServer({ stateless: true, principal }),
    });
    if (config.oauth) {
      log("info", `OAuth: accepting access tokens from ${config.oauth.issuer} for ${config.oauth.audience}`);
      // In the background: an unreachable issuer must not stop the server; requests retry it.
      void oauth?.warmUp();
    }
    stopAccepting = () => http.stopAccepting();
    closeTransport = () => http.close();
    log("info", `MCP over Streamable HTTP at ${http.url}`);
  } else {
    const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
    const server = runtime.newServer();
    const transport = new StdioServerTransport();
    closeTransport = () => server.close();
    // Set before connect, which chains them: the SDK reports a line it cannot read here, and closes
    // the transport itself when a line exceeds its buffer limit (STDIO_DEFAULT_MAX_BUFFER_SIZE).
    transport.onerror = (err) => log("error", `stdio: ${err.message}`);
    transport.onclose = () => {
      if (stopping) return;
      log("error", "stdio transport closed after an error; stopping");
      void stop("stdio transport error").then(() => process.exit(1));
    };
    // The client closing stdin is the normal way a stdio server is told to stop.
    process.stdin.once("end", () => void stop("stdin closed").then(() => process.exit(0)));
    await server.mcp.connect(transport);
  }

  limitHeapGrowth();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => void stop(signal).then(resolve);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  return 0;
}
