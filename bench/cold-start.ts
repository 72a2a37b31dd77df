// Cold start: spawn → initialize answered → tools/list answered, timed identically in raw JSON-RPC for
// our server, a framework-free Node script and the official SDK with one tool, interleaved run by run.
import { bareServer, ourServer, RpcChild, sdkFloor, type ServerSpec } from "./child.js";
import { median, now, percentile, round, withTimeout } from "./stats.js";

export interface ColdStartTimes {
  runs: number;
  /** Median milliseconds from spawn to the initialize answer. */
  initializeMs: number;
  /** Median milliseconds from spawn to the tools/list answer: the figure compared. */
  toolsListMs: number;
  minMs: number;
  p90Ms: number;
}

export interface ColdStartResult {
  ours: ColdStartTimes;
  bare: ColdStartTimes;
  sdkFloor: ColdStartTimes;
  oursOverBare: number;
  oursOverSdkFloor: number;
  sdkFloorOverBare: number;
}

async function once(spec: ServerSpec): Promise<{ init: number; total: number }> {
  const start = now();
  const child = new RpcChild(spec);
  try {
    await withTimeout(child.initialize(), 10_000, `${spec.name} initialize`);
    const init = now() - start;
    child.notify("notifications/initialized");
    await withTimeout(child.request("tools/list"), 10_000, `${spec.name} tools/list`);
    return { init, total: now() - start };
  } finally {
    await child.stop();
  }
}

function times(samples: Array<{ init: number; total: number }>): ColdStartTimes {
  const totals = samples.map((s) => s.total);
  return {
    runs: samples.length,
    initializeMs: round(median(samples.map((s) => s.init)), 1),
    toolsListMs: round(median(totals), 1),
    minMs: round(Math.min(...totals), 1),
    p90Ms: round(percentile(totals, 90), 1),
  };
}

export async function measureColdStart(opts: {
  cli: string;
  apiUrl: string;
  stateDir: string;
  runs: number;
  /** Discarded runs of each server first (file cache, our state database); the smoke run skips them. */
  warmup: boolean;
}): Promise<ColdStartResult> {
  const specs = [ourServer(opts.cli, opts.apiUrl, opts.stateDir), bareServer, sdkFloor];
  // One discarded run each: warms the file cache and creates our state database, as on a client's
  // second launch onwards.
  if (opts.warmup) for (const spec of specs) await once(spec);
  const samples = specs.map(() => [] as Array<{ init: number; total: number }>);
  for (let r = 0; r < opts.runs; r++) {
    for (const [i, spec] of specs.entries()) samples[i]!.push(await once(spec));
  }
  const [ours, bare, sdk] = samples.map(times) as [ColdStartTimes, ColdStartTimes, ColdStartTimes];
  return {
    ours,
    bare,
    sdkFloor: sdk,
    oursOverBare: round(ours.toolsListMs / bare.toolsListMs),
    oursOverSdkFloor: round(ours.toolsListMs / sdk.toolsListMs),
    sdkFloorOverBare: round(sdk.toolsListMs / bare.toolsListMs),
  };
}
