// Memory: our server's resident set size (VmRSS from /proc) after start, after a warm-up, and after
// many get_payment calls, to catch a leak that a long client session would feel.
import { ourServer, RpcChild } from "./child.js";
import { round, rssMb, runConcurrently, withTimeout } from "./stats.js";

export interface MemoryResult {
  calls: number;
  /** Null where /proc is unavailable (not Linux): the section then reports no figures. */
  startMb: number | null;
  afterWarmupMb: number | null;
  afterCallsMb: number | null;
  /** After the calls minus after start: the figure the goal is about. */
  growthMb: number | null;
  /** After the calls minus after the warm-up: growth once code is loaded and compiled. */
  growthAfterWarmupMb: number | null;
  callsPerSec: number;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureMemory(opts: {
  cli: string;
  apiUrl: string;
  stateDir: string;
  ids: readonly string[];
  calls: number;
  inFlight: number;
}): Promise<MemoryResult> {
  const server = new RpcChild(ourServer(opts.cli, opts.apiUrl, opts.stateDir));
  const call = async (i: number) => {
    const res = await server.callTool<{ isError?: boolean }>("get_payment", {
      paymentId: opts.ids[i % opts.ids.length],
    });
    if (res.isError) throw new Error("get_payment returned an error");
  };
  try {
    await withTimeout(server.handshake(), 15_000, "server handshake");
    await settle(200);
    const startMb = rssMb(server.pid);
    const warmup = Math.min(500, Math.floor(opts.calls / 10));
    await runConcurrently(warmup, opts.inFlight, call);
    await settle(200);
    const afterWarmupMb = rssMb(server.pid);
    const ms = await runConcurrently(opts.calls, opts.inFlight, call);
    await settle(500);
    const afterCallsMb = rssMb(server.pid);
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a - b, 1));
    return {
      calls: opts.calls,
      startMb,
      afterWarmupMb,
      afterCallsMb,
      growthMb: diff(afterCallsMb, startMb),
      growthAfterWarmupMb: diff(afterCallsMb, afterWarmupMb),
      callsPerSec: Math.round((opts.calls / ms) * 1000),
    };
  } finally {
    await server.stop();
  }
}
