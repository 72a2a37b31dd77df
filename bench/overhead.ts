// Per-call overhead and throughput: get_payment through our server over stdio (raw JSON-RPC, so the
// figure is the server's, not a client library's) against the same GET made directly with undici.
import type { RpcChild } from "./child.js";
import { directApi, PAYMENTS_PATH } from "./http.js";
import { now, round, runConcurrently, summarize, type Summary } from "./stats.js";

export interface OverheadResult {
  calls: number;
  client: string;
  mcp: Summary;
  http: Summary;
  /** MCP p50 minus HTTP p50, milliseconds: what our server adds to a call. */
  addedP50Ms: number;
  addedP99Ms: number;
  ratioP50: number;
  /** Server-to-client notifications per call (logging messages a client receives unasked). */
  notificationsPerCall: number;
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
  const id = (i: number) => opts.ids[i % opts.ids.length] as string;
  try {
    const viaMcp = (i: number) => getPaymentOverMcp(server, id(i));
    const viaHttp = (i: number) => http.get(`${PAYMENTS_PATH}/${id(i)}`);

    for (let i = 0; i < opts.warmup; i++) {
      await viaMcp(i);
      await viaHttp(i);
    }

    // Sequential calls, alternating blocks of each path so background load drifts hit both alike.
    const mcp: number[] = [];
    const direct: number[] = [];
    const block = 100;
    const notesBefore = server.notifications;
    for (let done = 0; done < opts.calls; done += block) {
      const n = Math.min(block, opts.calls - done);
      for (let i = done; i < done + n; i++) {
        const t = now();
        await viaMcp(i);
        mcp.push(now() - t);
      }
      for (let i = done; i < done + n; i++) {
        const t = now();
        await viaHttp(i);
        direct.push(now() - t);
      }
    }
    const notificationsPerCall = round((server.notifications - notesBefore) / opts.calls, 2);
    const m = summarize(mcp);
    const h = summarize(direct);

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
        addedP50Ms: round(m.p50 - h.p50, 3),
        addedP99Ms: round(m.p99 - h.p99, 3),
        ratioP50: round(m.p50 / h.p50),
        notificationsPerCall,
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
  }
}
