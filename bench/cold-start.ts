// Cold start: spawn → first tools/list answered, timed identically in raw JSON-RPC for our server, a
// framework-free Node script and the official SDK with one tool, interleaved run by run. On 2025 the
// client sends initialize first; on 2026-07-28 its first request is tools/list with the envelope.
import {
  bareServer,
  ourServer,
  RpcChild,
  sdkFloor,
  tempStateDir,
  type Era,
  type ServerSpec,
} from "./child.js";
import { median, now, percentile, round, withTimeout } from "./stats.js";

export interface ColdStartTimes {
  runs: number;
  /** Median milliseconds from spawn to the initialize answer (0 on 2026: there is none). */
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
  /**
   * Ours on 2025 with an empty state directory every run: a first-ever start, with no warm-start cache
   * (the rows above are second launches onwards, answered from it).
   */
  firstStart: ColdStartTimes;
  /** The same, on 2026-07-28 (the v1 SDK floor does not speak it). */
  era2026: { ours: ColdStartTimes; bare: ColdStartTimes; oursOverBare: number };
}

async function once(spec: ServerSpec, era: Era): Promise<{ init: number; total: number }> {
  const start = now();
  const child = new RpcChild(spec, era);
  try {
    let init = 0;
    if (era === "2025") {
      await withTimeout(child.initialize(), 10_000, `${spec.name} initialize`);
      init = now() - start;
      child.notify("notifications/initialized");
    }
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
  const ourSpec = ourServer(opts.cli, opts.apiUrl, opts.stateDir);
  const specs: Array<[ServerSpec, Era]> = [
    [ourSpec, "2025"],
    [bareServer, "2025"],
    [sdkFloor, "2025"],
    [ourSpec, "2026"],
    [bareServer, "2026"],
  ];
  // One discarded run each: warms the file cache and creates our state key and warm-start cache, as
  // on a client's second launch onwards.
  if (opts.warmup) for (const [spec, era] of specs) await once(spec, era);
  const samples = specs.map(() => [] as Array<{ init: number; total: number }>);
  for (let r = 0; r < opts.runs; r++) {
    for (const [i, [spec, era]] of specs.entries()) samples[i]!.push(await once(spec, era));
  }
  const first: Array<{ init: number; total: number }> = [];
  for (let r = 0; r < opts.runs; r++) {
    const fresh = tempStateDir();
    try {
      first.push(await once(ourServer(opts.cli, opts.apiUrl, fresh.dir), "2025"));
    } finally {
      fresh.remove();
    }
  }
  const [ours, bare, sdk, ours26, bare26] = samples.map(times) as [
    ColdStartTimes,
    ColdStartTimes,
    ColdStartTimes,
    ColdStartTimes,
    ColdStartTimes,
  ];
  return {
    era2026: { ours: ours26, bare: bare26, oursOverBare: round(ours26.toolsListMs / bare26.toolsListMs) },
    ours,
    bare,
    sdkFloor: sdk,
    firstStart: times(first),
    oursOverBare: round(ours.toolsListMs / bare.toolsListMs),
    oursOverSdkFloor: round(ours.toolsListMs / sdk.toolsListMs),
    sdkFloorOverBare: round(sdk.toolsListMs / bare.toolsListMs),
  };
}
