// Per-call overhead and throughput: get_payment through our server over stdio (raw JSON-RPC, so the
// figure is the server's, not a client library's) against the same GET made directly with undici, on
// both protocol eras: a 2025 session after initialize, and 2026-07-28 requests carrying the envelope.
import { ENVELOPE_2026, RpcChild, sdkFloor, sdkFloorGet } from "./child.js";
import { directApi, PAYMENTS_PATH } from "./http.js";
import { cpuMs, now, round, runConcurrently, summarize, withTimeout, type Summary } from "./stats.js";

export interface OverheadResult {
  calls: number;
  client: string;
  mcp: Summary;
  http: Summary;
  /** Our server after the client sent `logging/setLevel: warning`: no debug notification per call. */
  mcpQuiet: Summary;
  /** The SDK floor's no-op tool: the MCP-over-stdio round trip before any work of ours. */
  sdkFloor: Summary;
  /**
   * The SDK v2 over stdio with one tool making the same GET (bench/sdk-floor-stdio.mjs), on 2025 after
   * initialize: what any SDK server adds to the call, before the work that is ours.
   */
  sdkFloorGet: Summary;
  /** Its p50 minus the direct GET's, ms. */
  sdkFloorGetAddedP50Ms: number;
  /**
   * The server process's CPU (user + system) per call, ms, over the same timed blocks: far less
   * sensitive to noisy neighbours than wall-clock p50, so it is what tells two builds apart. Ours
   * includes its own HTTP request to SpacePay; the SDK floor's no-op tool makes none. Null where /proc
   * is unavailable.
   */
  cpuPerCallMs: {
    mcp: number | null;
    mcpQuiet: number | null;
    era2026: number | null;
    sdkFloor: number | null;
    sdkFloorGet: number | null;
  };
  /** MCP p50 minus HTTP p50, milliseconds: what our server adds to a call. */
  addedP50Ms: number;
  addedP99Ms: number;
  ratioP50: number;
  /** Server-to-client notifications per call (logging messages a client receives unasked). */
  notificationsPerCall: number;
  notificationsPerCallQuiet: number;
  /** The same call on 2026-07-28: every request carries the `_meta` envelope. */
  era2026: Envelope2026;
}

export interface Envelope2026 {
  mcp: Summary;
  /** 2026 p50 minus direct HTTP p50, milliseconds. */
  addedP50Ms: number;
  /** 2026 p50 minus the 2025 p50 at log level warning (neither gets log notifications), ms. */
  deltaP50VsLegacyMs: number;
  /** The envelope's own bytes in each request (`"_meta":{…}` as serialized). */
  envelopeBytes: number;
  /** Bytes on the wire per call (request line, response line and any notifications). */
  sentPerCall2025: number;
  sentPerCall2026: number;
  receivedPerCall2025: number;
  receivedPerCall2026: number;
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

/**
 * `server` is our server, initialized and pointed at the simulator at `apiUrl`; `server2026` is another
 * process of it spoken to on 2026-07-28 (its tools listed once already).
 */
export async function measureOverhead(opts: {
  server: RpcChild;
  server2026: RpcChild;
  apiUrl: string;
  ids: readonly string[];
  calls: number;
  warmup: number;
  inFlight: number;
}): Promise<{ overhead: OverheadResult; throughput: ThroughputResult }> {
  const { server } = opts;
  const http = directApi(opts.apiUrl, opts.inFlight);
  const floor = new RpcChild(sdkFloor);
  const floorGet = new RpcChild(sdkFloorGet(opts.apiUrl));
  const id = (i: number) => opts.ids[i % opts.ids.length] as string;
  try {
    await withTimeout(floor.handshake(), 15_000, "SDK floor handshake");
    await withTimeout(floorGet.handshake(), 15_000, "SDK v2 floor (GET) handshake");
    const viaMcp = (i: number) => getPaymentOverMcp(server, id(i));
    const viaHttp = (i: number) => http.get(`${PAYMENTS_PATH}/${id(i)}`);
    const viaFloor = (i: number) => getPaymentOverMcp(floor, id(i));
    const viaFloorGet = (i: number) => getPaymentOverMcp(floorGet, id(i));
    const via2026 = (i: number) => getPaymentOverMcp(opts.server2026, id(i));
    // "debug" sends what a client that never set a level gets: every message.
    const setLevel = (level: "debug" | "warning") => server.request("logging/setLevel", { level });

    for (let i = 0; i < opts.warmup; i++) {
      await viaMcp(i);
      await viaHttp(i);
      await viaFloor(i);
      await viaFloorGet(i);
      await via2026(i);
    }

    // Sequential calls in alternating blocks of each path, so background load drifts hit all alike.
    const samples = {
      mcp: [] as number[],
      quiet: [] as number[],
      floor: [] as number[],
      floorGet: [] as number[],
      http: [] as number[],
      era2026: [] as number[],
    };
    // Wire bytes of the quiet 2025 blocks and of the 2026 blocks: the same call, with and without envelope.
    const wire = { sent25: 0, got25: 0, sent26: 0, got26: 0 };
    const s26 = opts.server2026;
    // Server CPU over each path's blocks (ms), read from /proc around each block: null once unreadable.
    const cpu = { mcp: 0, quiet: 0, era2026: 0, floor: 0, floorGet: 0 } as Record<string, number | null>;
    const timed = async (
      into: number[],
      from: number,
      n: number,
      fn: (i: number) => Promise<unknown>,
      cpuOf?: { key: string; pid: number },
    ) => {
      const cpuBefore = cpuOf ? cpuMs(cpuOf.pid) : null;
      for (let i = from; i < from + n; i++) {
        const t = now();
        await fn(i);
        into.push(now() - t);
      }
      if (!cpuOf) return;
      const cpuAfter = cpuMs(cpuOf.pid);
      const sum = cpu[cpuOf.key];
      cpu[cpuOf.key] =
        sum === null || sum === undefined || cpuBefore === null || cpuAfter === null
          ? null
          : sum + cpuAfter - cpuBefore;
    };
    const block = 100;
    let notes = 0;
    let quietNotes = 0;
    let era2026Notes = 0;
    for (let done = 0; done < opts.calls; done += block) {
      const n = Math.min(block, opts.calls - done);
      await setLevel("debug");
      const before = server.notifications;
      await timed(samples.mcp, done, n, viaMcp, { key: "mcp", pid: server.pid });
      notes += server.notifications - before;
      await setLevel("warning");
      const quietBefore = server.notifications;
      const [sent, got] = [server.bytesSent, server.bytesReceived];
      await timed(samples.quiet, done, n, viaMcp, { key: "quiet", pid: server.pid });
      quietNotes += server.notifications - quietBefore;
      wire.sent25 += server.bytesSent - sent;
      wire.got25 += server.bytesReceived - got;
      const [sent26, got26, notes26] = [s26.bytesSent, s26.bytesReceived, s26.notifications];
      await timed(samples.era2026, done, n, via2026, { key: "era2026", pid: s26.pid });
      wire.sent26 += s26.bytesSent - sent26;
      wire.got26 += s26.bytesReceived - got26;
      era2026Notes += s26.notifications - notes26;
      await timed(samples.floor, done, n, viaFloor, { key: "floor", pid: floor.pid });
      await timed(samples.floorGet, done, n, viaFloorGet, { key: "floorGet", pid: floorGet.pid });
      await timed(samples.http, done, n, viaHttp);
    }
    await setLevel("debug");
    const notificationsPerCall = round(notes / opts.calls, 2);
    const m = summarize(samples.mcp);
    const h = summarize(samples.http);
    const q = summarize(samples.quiet);
    const e = summarize(samples.era2026);
    const fg = summarize(samples.floorGet);
    const perCall = (bytes: number) => Math.round(bytes / opts.calls);
    const cpuPerCall = (key: string) => {
      const ms = cpu[key];
      return ms === null || ms === undefined ? null : round(ms / opts.calls, 3);
    };

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
        mcpQuiet: q,
        sdkFloor: summarize(samples.floor),
        sdkFloorGet: fg,
        sdkFloorGetAddedP50Ms: round(fg.p50 - h.p50, 3),
        cpuPerCallMs: {
          mcp: cpuPerCall("mcp"),
          mcpQuiet: cpuPerCall("quiet"),
          era2026: cpuPerCall("era2026"),
          sdkFloor: cpuPerCall("floor"),
          sdkFloorGet: cpuPerCall("floorGet"),
        },
        addedP50Ms: round(m.p50 - h.p50, 3),
        addedP99Ms: round(m.p99 - h.p99, 3),
        ratioP50: round(m.p50 / h.p50),
        notificationsPerCall,
        notificationsPerCallQuiet: round(quietNotes / opts.calls, 2),
        era2026: {
          mcp: e,
          addedP50Ms: round(e.p50 - h.p50, 3),
          deltaP50VsLegacyMs: round(e.p50 - q.p50, 3),
          envelopeBytes: Buffer.byteLength(`,"_meta":${JSON.stringify(ENVELOPE_2026)}`),
          sentPerCall2025: perCall(wire.sent25),
          sentPerCall2026: perCall(wire.sent26),
          receivedPerCall2025: perCall(wire.got25),
          receivedPerCall2026: perCall(wire.got26),
          notificationsPerCall: round(era2026Notes / opts.calls, 2),
        },
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
    await Promise.all([floor.stop(), floorGet.stop()]);
  }
}
