// Per-call overhead and throughput: get_payment through our server over stdio (raw JSON-RPC, so the
// figure is the server's, not a client library's) against the same GET made directly with undici.
import { RpcChild, sdkFloor } from "./child.js";
import { directApi, PAYMENTS_PATH } from "./http.js";
import { now, round, runConcurrently, summarize, withTimeout, type Summary } from "./stats.js";

export interface OverheadResult {
  calls: number;
  client: string;
  mcp: Summary;
  http: Summary;
  /** Our server after the client sent `logging/setLevel: warning`: no debug notification per call. */
  mcpQuiet: Summary;
  /** The SDK floor's no-op tool: the MCP-over-stdio round trip before any work of ours. */
  sdkFloor: Summary;
  /** MCP p50 minus HTTP p50, milliseconds: what our server adds to a call. */
  addedP50Ms: number;
  addedP99Ms: number;
  ratioP50: number;
  /** Server-to-client notifications per call (logging messages a client receives unasked). */
  notificationsPerCall: number;
  notificationsPerCallQuiet: number;
}

export interface ThroughputResult {
  inFlight: number;
  calls: number;
  mcpCallsPerSec: number;
  httpCallsPerSec: number;
  /** MCP as a fraction of the direct-HTTP ceiling. */
  fractionOfCeiling: number;
}

interface ToolResult {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
}

async function getPaymentOverMcp(server: RpcChild, id: string): Promise<void> {
  const res = await server.callTool<ToolResult>("get_payment", { paymentId: id });
  if (res.isError) throw new Error(`get_payment failed: ${res.content?.[0]?.text ?? "no text"}`);
}

/** `server` is our server, initialized and pointed at the simulator at `apiUrl`. */
export async function measureOverhead(opts: {
  server: RpcChild;
  apiUrl: string;
  ids: readonly string[];
  calls: number;
  warmup: number;
  inFlight: number;
}): Promise<{ overhead: OverheadResult; throughput: ThroughputResult }> {
  const { server } = opts;
  const http = directApi(opts.apiUrl, opts.inFlight);
  const floor = new RpcChild(sdkFloor);
  const id = (i: number) => opts.ids[i % opts.ids.length] as string;
  try {
    await withTimeout(floor.handshake(), 15_000, "SDK floor handshake");
    const viaMcp = (i: number) => getPaymentOverMcp(server, id(i));
    const viaHttp = (i: number) => http.get(`${PAYMENTS_PATH}/${id(i)}`);
    const viaFloor = (i: number) => getPaymentOverMcp(floor, id(i));
    // "debug" sends what a client that never set a level gets: every message.
    const setLevel = (level: "debug" | "warning") => server.request("logging/setLevel", { level });

    for (let i = 0; i < opts.warmup; i++) {
      await viaMcp(i);
      await viaHttp(i);
      await viaFloor(i);
    }

    // Sequential calls in alternating blocks of each path, so background load drifts hit all alike.
    const samples = {
      mcp: [] as number[],
      quiet: [] as number[],
      floor: [] as number[],
      http: [] as number[],
    };
    const timed = async (into: number[], from: number, n: number, fn: (i: number) => Promise<unknown>) => {
      for (let i = from; i < from + n; i++) {
        const t = now();
        await fn(i);
        into.push(now() - t);
      }
    };
    const block = 100;
    let notes = 0;
    let quietNotes = 0;
    for (let done = 0; done < opts.calls; done += block) {
      const n = Math.min(block, opts.calls - done);
      await setLevel("debug");
      const before = server.notifications;
      await timed(samples.mcp, done, n, viaMcp);
      notes += server.notifications - before;
      await setLevel("warning");
      const quietBefore = server.notifications;
      await timed(samples.quiet, done, n, viaMcp);
      quietNotes += server.notifications - quietBefore;
      await timed(samples.floor, done, n, viaFloor);
      await timed(samples.http, done, n, viaHttp);
    }
    await setLevel("debug");
    const notificationsPerCall = round(notes / opts.calls, 2);
    const m = summarize(samples.mcp);
    const h = summarize(samples.http);

    const mcpMs = await runConcurrently(opts.calls, opts.inFlight, viaMcp);
    const httpMs = await runConcurrently(opts.calls, opts.inFlight, viaHttp);
    const mcpRate = (opts.calls / mcpMs) * 1000;
    const httpRate = (opts.calls / httpMs) * 1000;

    return {
      overhead: {
        calls: opts.calls,
        client: "raw newline-delimited JSON-RPC over the child's stdio",
        mcp: m,
        http: h,
        mcpQuiet: summarize(samples.quiet),
        sdkFloor: summarize(samples.floor),
        addedP50Ms: round(m.p50 - h.p50, 3),
        addedP99Ms: round(m.p99 - h.p99, 3),
        ratioP50: round(m.p50 / h.p50),
        notificationsPerCall,
        notificationsPerCallQuiet: round(quietNotes / opts.calls, 2),
      },
      throughput: {
        inFlight: opts.inFlight,
        calls: opts.calls,
        mcpCallsPerSec: Math.round(mcpRate),
        httpCallsPerSec: Math.round(httpRate),
        fractionOfCeiling: round(mcpRate / httpRate),
      },
    };
  } finally {
    await http.close();
    await floor.stop();
  }
}
