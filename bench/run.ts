// `npm run bench`: one run measuring cold start, per-call overhead, throughput, token footprint, memory
// and the simulator against baselines measured in the same run; prints a table, writes
// bench/results.json, and exits 0 whether or not the goals are met. `--smoke` runs tiny counts (~5 s);
// `--cli PATH` measures another build of the server (e.g. a bundled one) in place of dist/cli.js;
// `--only NAME[,NAME]` runs only those sections (their keys in `sections`, e.g. `webhooks`).
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  DEFAULT_CLI,
  ourServer,
  requireCli,
  ROOT,
  RpcChild,
  startSimulatorProcess,
  stopAll,
  tempStateDir,
} from "./child.js";
import { measureColdStart, type ColdStartResult } from "./cold-start.js";
import { measureGuarded, type GuardedResult } from "./guarded.js";
import { directApi, paymentIds } from "./http.js";
import { measureHttp, type HttpResult, type Spread } from "./http-serve.js";
import { measureMemory, type MemoryResult } from "./memory.js";
import { measureOverhead, type OverheadResult, type ThroughputResult } from "./overhead.js";
import { measureSimulator, type SimulatorResult } from "./simulator.js";
import { measureTelemetryOff, type TelemetryOffResult } from "./telemetry-off.js";
import { now, round, withTimeout } from "./stats.js";
import { measureTokens, type TokensResult } from "./tokens.js";
import { measureWebhooks, type WebhooksResult } from "./webhooks.js";

export const RESULTS_FILE = path.join(ROOT, "bench", "results.json");

export interface BenchOptions {
  smoke?: boolean;
  /** The server entry to measure (default dist/cli.js). */
  cli?: string;
  /** Where the table goes (default stdout); the smoke test passes a collector. */
  print?: (line: string) => void;
  /** Where to write the JSON results; null to skip (default: none when imported, results.json from the CLI). */
  resultsFile?: string | null;
  /** Only these sections (keys of BenchResult.sections); all when absent. */
  only?: readonly string[];
  /** An empty PostgreSQL database for the guarded section (default: a server started for it). */
  databaseUrl?: string;
}

export interface Section<T> {
  ok: boolean;
  /** Wall-clock milliseconds the section took. */
  ms: number;
  result?: T;
  error?: string;
}

export interface Goal {
  name: string;
  target: string;
  figure: string;
  measured: boolean;
  met: boolean;
}

export interface BenchResult {
  mode: "full" | "smoke";
  startedAt: string;
  durationMs: number;
  machine: { cores: number; node: string; platform: string; cpu: string; loadavg: number[] };
  cli: string;
  /** The sections run, when --only chose them. */
  only?: readonly string[];
  counts: Counts;
  sections: {
    coldStart: Section<ColdStartResult>;
    overhead: Section<OverheadResult>;
    throughput: Section<ThroughputResult>;
    tokens: Section<TokensResult>;
    memory: Section<MemoryResult>;
    simulator: Section<SimulatorResult>;
    guarded: Section<GuardedResult>;
    http: Section<HttpResult>;
    telemetryOff: Section<TelemetryOffResult>;
    webhooks: Section<WebhooksResult>;
  };
  goals: Goal[];
}

interface Counts {
  coldStarts: number;
  calls: number;
  warmup: number;
  inFlight: number;
  memoryCalls: number;
  simulatorPayments: number;
  simulatorGets: number;
  simulatorQueries: number;
  guardedCalls: number;
  /** MCP over HTTP: sequential and concurrent calls per path per round, and the rounds. */
  httpSequential: number;
  httpConcurrent: number;
  httpRounds: number;
  /** Calls counted for telemetry hooks per call, and iterations per timed block of each hook. */
  telemetryCalls: number;
  hookIterations: number;
  /** Webhooks: waits timed each way, payments watched, the window they are counted over (ms), the merchant's size. */
  webhookLatencySamples: number;
  watchedPayments: number;
  watchWindowMs: number;
  merchantSize: number;
}

const FULL: Counts = {
  coldStarts: 15,
  calls: 2000,
  warmup: 200,
  inFlight: 16,
  memoryCalls: 10_000,
  simulatorPayments: 10_000,
  simulatorGets: 5000,
  simulatorQueries: 200,
  guardedCalls: 300,
  httpSequential: 500,
  httpConcurrent: 2000,
  httpRounds: 3,
  telemetryCalls: 100,
  hookIterations: 1_000_000,
  webhookLatencySamples: 10,
  watchedPayments: 500,
  watchWindowMs: 10_000,
  merchantSize: 20_000,
};
const SMOKE: Counts = {
  coldStarts: 2,
  calls: 50,
  warmup: 10,
  inFlight: 16,
  memoryCalls: 1000,
  simulatorPayments: 1000,
  simulatorGets: 200,
  simulatorQueries: 10,
  guardedCalls: 10,
  httpSequential: 20,
  httpConcurrent: 50,
  httpRounds: 1,
  telemetryCalls: 5,
  hookIterations: 20_000,
  webhookLatencySamples: 1,
  watchedPayments: 10,
  watchWindowMs: 1_000,
  merchantSize: 1_100,
};

async function section<T>(fn: () => Promise<T>): Promise<Section<T>> {
  const t = now();
  try {
    const result = await fn();
    return { ok: true, ms: Math.round(now() - t), result };
  } catch (err) {
    return { ok: false, ms: Math.round(now() - t), error: (err as Error).stack ?? String(err) };
  }
}

function failed<T>(error: string): Section<T> {
  return { ok: false, ms: 0, error };
}

/** A section --only left out. */
const NOT_RUN = "not run (--only)";

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const counts = opts.smoke ? SMOKE : FULL;
  const cli = path.resolve(opts.cli ?? DEFAULT_CLI);
  const startedAt = new Date();
  const t0 = now();
  requireCli(cli);
  const want = (name: keyof BenchResult["sections"]) => !opts.only || opts.only.includes(name);
  const maybe = <T>(name: keyof BenchResult["sections"], fn: () => Promise<T>): Promise<Section<T>> =>
    want(name) ? section(fn) : Promise.resolve(failed<T>(NOT_RUN));

  const state = tempStateDir();
  let sim: Awaited<ReturnType<typeof startSimulatorProcess>> | undefined;
  let sections: BenchResult["sections"];
  try {
    sim = await startSimulatorProcess(cli, { samples: 50, seed: 1 });
    const apiUrl = sim.url;
    const api = directApi(apiUrl, 1);
    const ids = await paymentIds(api, 20).finally(() => api.close());
    const shared = { cli, apiUrl, stateDir: state.dir };

    const coldStart = await maybe("coldStart", () =>
      measureColdStart({ ...shared, runs: counts.coldStarts, warmup: !opts.smoke }),
    );
    // One session serves the token count (first, on a fresh server) and then the call timings.
    // A second process serves the 2026-07-28 calls (that era has no session to share with a 2025 one).
    const server = new RpcChild(ourServer(cli, apiUrl, state.dir));
    const server2026 = new RpcChild(ourServer(cli, apiUrl, state.dir), "2026");
    let tokens: Section<TokensResult>;
    let both: Section<Awaited<ReturnType<typeof measureOverhead>>>;
    try {
      if (!want("tokens") && !want("overhead") && !want("throughput")) throw new Error(NOT_RUN);
      const list = await withTimeout(server.handshake(), 15_000, "server handshake");
      await withTimeout(server2026.handshake(), 15_000, "2026-07-28 tools/list");
      tokens = await section(() => measureTokens({ server, list, apiUrl }));
      both = await section(() =>
        measureOverhead({
          server,
          server2026,
          apiUrl,
          ids,
          calls: counts.calls,
          warmup: counts.warmup,
          inFlight: counts.inFlight,
        }),
      );
    } catch (err) {
      const error = (err as Error).message === NOT_RUN ? NOT_RUN : ((err as Error).stack ?? String(err));
      tokens = failed(error);
      both = failed(error);
    } finally {
      await Promise.all([server.stop(), server2026.stop()]);
    }
    const memory = await maybe("memory", () =>
      measureMemory({ ...shared, ids, calls: counts.memoryCalls, inFlight: counts.inFlight }),
    );
    const simulator = await maybe("simulator", () =>
      measureSimulator({
        cli,
        payments: counts.simulatorPayments,
        gets: counts.simulatorGets,
        queries: counts.simulatorQueries,
        inFlight: counts.inFlight,
      }),
    );
    const guarded = await maybe("guarded", () =>
      measureGuarded({
        cli,
        apiUrl,
        ids,
        calls: counts.guardedCalls,
        inFlight: counts.inFlight,
        databaseUrl: opts.databaseUrl,
      }),
    );
    const http = await maybe("http", () =>
      measureHttp({
        ...shared,
        ids,
        sequentialCalls: counts.httpSequential,
        concurrentCalls: counts.httpConcurrent,
        warmup: counts.warmup,
        inFlight: counts.inFlight,
        rounds: counts.httpRounds,
      }),
    );
    const telemetryOff = await maybe("telemetryOff", () =>
      measureTelemetryOff({
        cli,
        apiUrl,
        ids,
        calls: counts.telemetryCalls,
        iterations: counts.hookIterations,
      }),
    );
    const webhooks = await maybe("webhooks", () =>
      measureWebhooks({
        cli,
        latencySamples: counts.webhookLatencySamples,
        watched: counts.watchedPayments,
        windowMs: counts.watchWindowMs,
        merchantSize: counts.merchantSize,
      }),
    );
    sections = {
      guarded,
      http,
      telemetryOff,
      webhooks,
      coldStart,
      overhead: both.ok ? { ...both, result: both.result!.overhead } : failed(both.error!),
      throughput: both.ok ? { ...both, result: both.result!.throughput } : failed(both.error!),
      tokens,
      memory,
      simulator,
    };
  } catch (err) {
    const error = (err as Error).stack ?? String(err);
    sections = {
      coldStart: failed(error),
      overhead: failed(error),
      throughput: failed(error),
      tokens: failed(error),
      memory: failed(error),
      simulator: failed(error),
      guarded: failed(error),
      http: failed(error),
      telemetryOff: failed(error),
      webhooks: failed(error),
    };
  } finally {
    await sim?.stop();
    await stopAll();
    state.remove();
  }

  const result: BenchResult = {
    mode: opts.smoke ? "smoke" : "full",
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(now() - t0),
    machine: {
      cores: os.availableParallelism(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpu: os.cpus()[0]?.model.trim() ?? "unknown",
      loadavg: os.loadavg().map((l) => round(l, 2)),
    },
    cli: path.relative(ROOT, cli) || cli,
    ...(opts.only && { only: opts.only }),
    counts,
    sections,
    goals: goals(sections),
  };
  const resultsFile = opts.resultsFile === undefined ? null : opts.resultsFile;
  if (resultsFile) writeFileSync(resultsFile, JSON.stringify(result, null, 2) + "\n");
  const print = opts.print ?? ((line: string) => console.log(line));
  for (const line of report(result)) print(line);
  if (resultsFile) print(`Results written to ${path.relative(process.cwd(), resultsFile)}`);
  return result;
}

// ---- Goals ----

function goal(
  name: string,
  target: string,
  value: number | null | undefined,
  met: (v: number) => boolean,
  figure: (v: number) => string,
): Goal {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return { name, target, figure: "not measured", measured: false, met: false };
  }
  return { name, target, figure: figure(value), measured: true, met: met(value) };
}

function goals(s: BenchResult["sections"]): Goal[] {
  const cs = s.coldStart.result;
  const oh = s.overhead.result;
  const tk = s.tokens.result;
  const mem = s.memory.result;
  const cs26 = cs?.era2026;
  const oh26 = oh?.era2026;
  const ht = s.http.result;
  const spreadOf = (x: Spread) => `median ${x.median}× (${x.min}–${x.max}× over ${ht!.rounds.length} rounds)`;
  const tel = s.telemetryOff.result;
  const telShare = telemetryShare(s);
  return [
    goal(
      "Cold start vs bare Node, 2025-11-25",
      "≤ 1.2× bare",
      cs?.oursOverBare,
      (v) => v <= 1.2,
      (v) => `${v}× (${cs!.ours.toolsListMs} ms vs ${cs!.bare.toolsListMs} ms)`,
    ),
    goal(
      "Cold start vs bare Node, 2026-07-28",
      "≤ 1.2× bare",
      cs26?.oursOverBare,
      (v) => v <= 1.2,
      (v) => `${v}× (${cs26!.ours.toolsListMs} ms vs ${cs26!.bare.toolsListMs} ms)`,
    ),
    goal(
      "Per-call overhead at p50, 2025-11-25",
      "≤ 0.5 ms added",
      oh?.addedP50Ms,
      (v) => v <= 0.5,
      (v) =>
        `+${v} ms (${oh!.mcp.p50} vs ${oh!.http.p50} ms; the SDK v2 floor with the GET +${oh!.sdkFloorGetAddedP50Ms} ms)`,
    ),
    goal(
      "Per-call overhead at p50, 2026-07-28",
      "≤ 0.5 ms added",
      oh26?.addedP50Ms,
      (v) => v <= 0.5,
      (v) => `+${v} ms (${oh26!.mcp.p50} vs ${oh!.http.p50} ms)`,
    ),
    goal(
      "Every input parameter described",
      "0 undescribed",
      tk?.undescribedParams.length,
      (v) => v === 0,
      (v) => (v === 0 ? "0 undescribed" : `${v} undescribed: ${tk!.undescribedParams.join(", ")}`),
    ),
    goal(
      "Model-visible tools/list (name, description, input schema)",
      "≤ 2,000 tokens",
      tk?.visibleTokens,
      (v) => v <= 2000,
      (v) =>
        `${v} tokens, ${tk!.visibleTokensPerTool}/tool for ${tk!.tools} tools (Stripe ≈186/tool, aim ≈150)`,
    ),
    goal(
      "Whole tools/list (output schemas included)",
      "≤ 4,000 tokens",
      tk?.listTokens,
      (v) => v <= 4000,
      (v) => `${v} tokens (${tk!.listBytes} bytes)`,
    ),
    goal(
      "get_payment text vs raw API JSON",
      "≤ 35% of raw tokens",
      tk?.getPayment.textOverRaw,
      (v) => v <= 0.35,
      (v) => `${pct(v)} (${tk!.getPayment.textTokens} vs ${tk!.getPayment.rawTokens} tokens)`,
    ),
    goal(
      `RSS growth over ${mem?.calls ?? "N"} calls`,
      "< 10 MB",
      mem?.growthMb,
      (v) => v < 10,
      (v) =>
        `${v} MB (${mem!.startMb} → ${mem!.afterCallsMb} MB; ${mem!.growthAfterWarmupMb} MB after warm-up)`,
    ),
    goal(
      `HTTP calls/s at ${ht?.inFlight ?? "N"} in flight vs the SDK v2 floor`,
      "≥ 1.3× floor",
      ht?.rateOverFloor.median,
      (v) => v >= 1.3,
      () => spreadOf(ht!.rateOverFloor),
    ),
    goal(
      `HTTP p99 at ${ht?.inFlight ?? "N"} in flight vs the SDK v2 floor`,
      "≤ 1.5× floor",
      ht?.p99OverFloor.median,
      (v) => v <= 1.5,
      () => spreadOf(ht!.p99OverFloor),
    ),
    goal(
      "HTTP added p50 at 1 in flight vs the SDK v2 floor's",
      "≤ floor's",
      ht && ht.addedP50Ms.ours.median - ht.addedP50Ms.floor.median,
      (v) => v <= 0,
      () =>
        `+${ht!.addedP50Ms.ours.median} ms vs +${ht!.addedP50Ms.floor.median} ms` +
        ` (ours ${ht!.addedP50Ms.ours.min}–${ht!.addedP50Ms.ours.max}, floor ${ht!.addedP50Ms.floor.min}–${ht!.addedP50Ms.floor.max})`,
    ),
    goal(
      "OpenTelemetry files loaded with OTEL_* unset (start and one call)",
      "0",
      tel?.start.otelFilesLoaded,
      (v) => v === 0,
      (v) => `${v} of ${tel!.start.otelFilesInBuild} in the build (${tel!.start.filesLoaded} files loaded)`,
    ),
    goal(
      "What telemetry off adds to get_payment",
      "< 0.1% of server CPU/call",
      telShare,
      (v) => v < 0.001,
      (v) => `${pct4(v)} (${tel!.addedNsPerCall.getPayment} ns of ${s.overhead.result!.cpuPerCallMs.mcp} ms)`,
    ),
  ];
}

/** Telemetry off's no-op hooks per get_payment as a share of our server's CPU per call (section 2). */
function telemetryShare(s: BenchResult["sections"]): number | null {
  const cpu = s.overhead.result?.cpuPerCallMs.mcp;
  const ns = s.telemetryOff.result?.addedNsPerCall.getPayment;
  return cpu && ns !== undefined ? ns / (cpu * 1e6) : null;
}

// ---- The table ----

const pct = (v: number) => `${round(v * 100, 1)}%`;
/** A share far below a percent (what a no-op costs) still shows its order of magnitude. */
const pct4 = (v: number) => `${(v * 100).toPrecision(2)}%`;
const sign = (v: number) => (v >= 0 ? `+${v}` : String(v));

function cpuCell(ms: number | null): string {
  return ms === null ? "n/a" : String(ms);
}

function table(rows: Array<Array<string | number>>): string[] {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

function sectionLines<T>(title: string, s: Section<T>, body: (r: T) => string[]): string[] {
  if (s.error === NOT_RUN) return [];
  const head = `${title}  [${(s.ms / 1000).toFixed(1)} s]`;
  if (!s.ok || s.result === undefined) {
    return ["", head, `  ERROR: ${(s.error ?? "unknown").split("\n")[0]}`];
  }
  return ["", head, ...body(s.result).map((l) => `  ${l}`)];
}

export function report(r: BenchResult): string[] {
  const m = r.machine;
  const s = r.sections;
  const lines = [
    `spacepay-mcp bench (${r.mode}) — ${r.cli}`,
    `Machine: ${m.cores} cores, Node ${m.node} (${m.platform}, ${m.cpu}, load ${m.loadavg.join(" ")})`,
  ];
  lines.push(
    ...sectionLines(
      `1. Cold start: spawn → first tools/list answered, raw JSON-RPC over stdio, median of ${r.counts.coldStarts} (ms)`,
      s.coldStart,
      (c) => [
        ...table([
          ["server", "initialize", "tools/list", "min", "p90"],
          ...(
            [
              ["2025-11-25: spacepay-mcp (simulator, demo off)", c.ours],
              ["2025-11-25: spacepay-mcp, first start (no cache)", c.firstStart],
              ["2025-11-25: bare Node script", c.bare],
              ["2025-11-25: SDK v1 floor (McpServer, 1 tool)", c.sdkFloor],
              ["2026-07-28: spacepay-mcp, tools/list first", c.era2026.ours],
              ["2026-07-28: bare Node script", c.era2026.bare],
            ] as const
          ).map(([name, t]) => [name, t.initializeMs || "-", t.toolsListMs, t.minMs, t.p90Ms]),
        ]),
        `2025: ours/bare ${c.oursOverBare}×   ours/SDK floor ${c.oursOverSdkFloor}×   SDK floor/bare ${c.sdkFloorOverBare}×`,
        `2026-07-28: ours/bare ${c.era2026.oursOverBare}×`,
        "spacepay-mcp rows are warm starts (the warm-up run wrote the cache); a first-ever start is the no-cache row",
      ],
    ),
    ...sectionLines(
      `2. Per-call overhead: get_payment, ${r.counts.calls} sequential calls each (ms)`,
      s.overhead,
      (o) => [
        ...table([
          ["path", "p50", "p99", "min", "max", "server CPU/call"],
          [
            "MCP over stdio (our server), 2025-11-25",
            o.mcp.p50,
            o.mcp.p99,
            o.mcp.min,
            o.mcp.max,
            cpuCell(o.cpuPerCallMs.mcp),
          ],
          ["direct HTTP (undici)", o.http.p50, o.http.p99, o.http.min, o.http.max, "-"],
          [
            "  ours, client set log level warning",
            o.mcpQuiet.p50,
            o.mcpQuiet.p99,
            o.mcpQuiet.min,
            o.mcpQuiet.max,
            cpuCell(o.cpuPerCallMs.mcpQuiet),
          ],
          [
            "MCP over stdio (our server), 2026-07-28",
            o.era2026.mcp.p50,
            o.era2026.mcp.p99,
            o.era2026.mcp.min,
            o.era2026.mcp.max,
            cpuCell(o.cpuPerCallMs.era2026),
          ],
          [
            "  SDK v2 floor, the same GET (2025-11-25)",
            o.sdkFloorGet.p50,
            o.sdkFloorGet.p99,
            o.sdkFloorGet.min,
            o.sdkFloorGet.max,
            cpuCell(o.cpuPerCallMs.sdkFloorGet),
          ],
          [
            "  SDK floor no-op tool (no HTTP)",
            o.sdkFloor.p50,
            o.sdkFloor.p99,
            o.sdkFloor.min,
            o.sdkFloor.max,
            cpuCell(o.cpuPerCallMs.sdkFloor),
          ],
        ]),
        // Wall-clock p50 swings with the host's neighbours; CPU per call far less: compare builds by it.
        "server CPU/call: ms of the server process's CPU (user + system, /proc) per call over the same blocks;" +
          " ours includes its own HTTP request, the SDK floor makes none",
        `added: p50 +${o.addedP50Ms} ms, p99 +${o.addedP99Ms} ms; ratio at p50 ${o.ratioP50}×` +
          ` (log level warning: p50 +${round(o.mcpQuiet.p50 - o.http.p50, 3)} ms)`,
        `the SDK v2 floor with the same GET adds p50 +${o.sdkFloorGetAddedP50Ms} ms: what any SDK server over stdio adds`,
        `client: ${o.client}; server notifications per call: ${o.notificationsPerCall} (${o.notificationsPerCallQuiet} at level warning)`,
        `2026-07-28: p50 +${o.era2026.addedP50Ms} ms over HTTP; ${sign(o.era2026.deltaP50VsLegacyMs)} ms vs 2025 at level warning` +
          `; envelope ${o.era2026.envelopeBytes} bytes per request`,
        `bytes per call sent/received: 2025 ${o.era2026.sentPerCall2025}/${o.era2026.receivedPerCall2025},` +
          ` 2026 ${o.era2026.sentPerCall2026}/${o.era2026.receivedPerCall2026}; 2026 notifications per call: ${o.era2026.notificationsPerCall}`,
      ],
    ),
    ...sectionLines(`3. Throughput: ${r.counts.inFlight} calls in flight`, s.throughput, (t) => [
      ...table([
        ["path", "calls/s"],
        ["MCP over one stdio connection", t.mcpCallsPerSec],
        ["direct HTTP (ceiling)", t.httpCallsPerSec],
      ]),
      `MCP reaches ${pct(t.fractionOfCeiling)} of the ceiling (${t.calls} calls each)`,
    ]),
    ...sectionLines("4. Token footprint", s.tokens, (t) => [
      `tokenizer: ${t.tokenizer} (a proxy)`,
      ...table([
        ["what", "bytes", "tokens", "note"],
        [
          `tools/list model-visible (${t.tools} tools)`,
          t.visibleBytes,
          t.visibleTokens,
          `${t.visibleTokensPerTool}/tool`,
        ],
        ["tools/list whole", t.listBytes, t.listTokens, `${Math.round(t.listTokens / t.tools)}/tool`],
        ["get_payment raw API JSON", t.getPayment.rawBytes, t.getPayment.rawTokens, ""],
        ["get_payment text", "", t.getPayment.textTokens, pct(t.getPayment.textOverRaw) + " of raw"],
        [
          "get_payment structured",
          "",
          t.getPayment.structuredTokens,
          pct(t.getPayment.structuredOverRaw) + " of raw",
        ],
        [
          `list_payments raw API JSON (${t.listPayments.items})`,
          t.listPayments.rawBytes,
          t.listPayments.rawTokens,
          "",
        ],
        ["list_payments text", "", t.listPayments.textTokens, pct(t.listPayments.textOverRaw) + " of raw"],
        [
          "list_payments structured",
          "",
          t.listPayments.structuredTokens,
          pct(t.listPayments.structuredOverRaw) + " of raw",
        ],
      ]),
      `heaviest tools (visible/whole): ${t.perTool
        .slice(0, 5)
        .map((p) => `${p.name} ${p.visibleTokens}/${p.listTokens}`)
        .join(", ")}`,
      `where it goes: tool descriptions ${t.breakdown.toolDescriptions}, parameter descriptions ${t.breakdown.paramDescriptions}, output schemas ${t.breakdown.outputSchemas} tokens; ${t.breakdown.schemaUriKeys} "$schema" keys`,
      `without "$schema": visible ${t.breakdown.visibleWithoutSchemaUri}, whole ${t.breakdown.listWithoutSchemaUri}; without output schemas: whole ${t.breakdown.listWithoutOutputSchemas}`,
    ]),
    ...sectionLines(`5. Memory: our server's RSS (VmRSS)`, s.memory, (mm) =>
      mm.startMb === null
        ? ["RSS not available on this platform (no /proc)"]
        : [
            ...table([
              ["when", "MB"],
              ["after start (initialize + tools/list)", mm.startMb],
              ["after warm-up", mm.afterWarmupMb ?? "n/a"],
              [`after ${mm.calls} get_payment calls`, mm.afterCallsMb ?? "n/a"],
            ]),
            `growth ${mm.growthMb} MB (${mm.growthAfterWarmupMb} MB after warm-up); ${mm.callsPerSec} calls/s`,
          ],
    ),
    ...sectionLines(`6. Simulator (its own process)`, s.simulator, (sm) => [
      `${sm.payments} payments stored (start incl. seeding ${sm.startMs} ms); ${sm.getsPerSec} GETs/s with ${sm.inFlight} in flight`,
      ...table([
        ["query (ms)", "p50", "p99"],
        ["list ?limit=20", sm.list.p50, sm.list.p99],
        ["search (partial id) ?limit=20", sm.search.p50, sm.search.p99],
        ["last page ?offset=N-20", sm.deepPage.p50, sm.deepPage.p99],
      ]),
    ]),
  );
  lines.push(
    ...sectionLines(
      `7. Guarded withdrawals (confirm off, allow-listed): ${r.counts.guardedCalls} sequential, then ${r.counts.guardedCalls} with ${r.counts.inFlight} in flight`,
      s.guarded,
      (g) => [
        ...table([
          ["path", "p50 ms", "p99 ms", "calls/s", "p50/read", "p99/read", "rate/read"],
          ["unguarded read (get_payment)", g.read.latency.p50, g.read.latency.p99, g.read.perSec, 1, 1, 1],
          ...(
            [
              ["create_withdrawal, SQLite, 1 instance", g.sqlite],
              ["create_withdrawal, PostgreSQL, 2 instances", g.postgres],
            ] as const
          ).map(([name, b]) => [
            name,
            b.latency.p50,
            b.latency.p99,
            b.perSec,
            b.p50OverRead,
            b.p99OverRead,
            b.rateOverRead,
          ]),
        ]),
      ],
    ),
  );
  lines.push(
    ...sectionLines(
      `8. MCP over HTTP: get_payment on 2026-07-28 with a bearer token, ${r.counts.httpRounds} rounds of ${r.counts.httpSequential} sequential then ${r.counts.httpConcurrent} with ${r.counts.inFlight} in flight per path`,
      s.http,
      (h) => {
        const rate = (x: { perSec: number; p50: number; p99: number }) => [x.perSec, x.p50, x.p99];
        return [
          ...table([
            [
              "round / path",
              "1: p50",
              "1: p99",
              `${h.inFlight}: calls/s`,
              `${h.inFlight}: p50`,
              `${h.inFlight}: p99`,
              "CPU/call",
            ],
            ...h.rounds.flatMap((rd, i) => [
              [
                `${i + 1} spacepay-mcp`,
                rd.sequential.ours.p50,
                rd.sequential.ours.p99,
                ...rate(rd.concurrent.ours),
                cpuCell(rd.cpuPerCallMs.ours),
              ],
              [
                `${i + 1} SDK v2 floor`,
                rd.sequential.floor.p50,
                rd.sequential.floor.p99,
                ...rate(rd.concurrent.floor),
                cpuCell(rd.cpuPerCallMs.floor),
              ],
              [
                `${i + 1} direct GET`,
                rd.sequential.direct.p50,
                rd.sequential.direct.p99,
                ...rate(rd.concurrent.direct),
                "-",
              ],
            ]),
          ]),
          `added p50 at 1 in flight: ours +${h.addedP50Ms.ours.median} ms (${h.addedP50Ms.ours.min}–${h.addedP50Ms.ours.max}),` +
            ` floor +${h.addedP50Ms.floor.median} ms (${h.addedP50Ms.floor.min}–${h.addedP50Ms.floor.max})`,
          `at ${h.inFlight} in flight, ours/floor: calls/s ${h.rateOverFloor.median}× (${h.rateOverFloor.min}–${h.rateOverFloor.max}),` +
            ` p99 ${h.p99OverFloor.median}× (${h.p99OverFloor.min}–${h.p99OverFloor.max})` +
            (h.cpuOverFloor
              ? `; server CPU/call ${h.cpuOverFloor.median}× (${h.cpuOverFloor.min}–${h.cpuOverFloor.max})`
              : ""),
          "the floor: the SDK's createMcpHandler (a McpServer per request) with one tool making the same GET with undici",
        ];
      },
    ),
  );
  lines.push(
    ...sectionLines(
      "9. Telemetry off (no OTEL_* set) vs no instrumentation: the no-op hooks' cost",
      s.telemetryOff,
      (t) => {
        const hooks = (p: Record<string, number>) =>
          Object.entries(p)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ");
        const share = telemetryShare(s);
        const p50 = s.overhead.result?.mcp.p50;
        return [
          `at start and through one get_payment: ${t.start.otelFilesLoaded} of ${t.start.otelFilesInBuild} OpenTelemetry files loaded` +
            ` (${t.start.filesLoaded} files in all); the no-op hooks' file is ${t.start.hookFileBytes} bytes`,
          `ns one no-op hook adds over the bare call site (median of 7 alternating blocks of ${r.counts.hookIterations}): ` +
            Object.entries(t.hookNs)
              .map(([k, ns]) => `${k} ${ns}`)
              .join(", "),
          `hooks per call (counted on the real runtime): get_payment ${hooks(t.hooksPerCall.getPayment)}; create_payment ${hooks(t.hooksPerCall.createPayment)}`,
          `added per call: get_payment ${t.addedNsPerCall.getPayment} ns, create_payment ${t.addedNsPerCall.createPayment} ns` +
            (share !== null && p50 !== undefined
              ? `; get_payment: ${pct4(share)} of our server's CPU/call, ${pct4(t.addedNsPerCall.getPayment / (p50 * 1e6))} of its p50`
              : ""),
        ];
      },
    ),
  );
  lines.push(
    ...sectionLines("10. Webhooks and the order index (issue 25)", s.webhooks, (w) => [
      ...table([
        ["what", "with webhooks", "polling only"],
        [
          `wait_for_payment: payment completed → answer, median of ${w.latency.samples} (ms)`,
          w.latency.webhookMs,
          w.latency.pollingMs,
        ],
        [
          `upstream GETs per minute, ${w.watched.payments} watched payments (default intervals)`,
          w.watched.perMinuteWithWebhooks,
          w.watched.perMinuteWithout,
        ],
        ["  measured per 1 s interval", w.watched.perIntervalWithWebhooks, w.watched.perIntervalWithout],
      ]),
      `per minute: with webhooks one sweep (60 s interval), without thirty polls (2 s); counted over ${w.watched.windowMs / 1000} s at 1 s`,
      ...table([
        [`order lookup among the oldest of ${w.lookup.merchantSize} payments`, "requests", "ms", "found"],
        [
          "before the index (bounded scan)",
          w.lookup.before.requests,
          w.lookup.before.ms,
          String(w.lookup.before.found),
        ],
        ["after the backfill", w.lookup.after.requests, w.lookup.after.ms, String(w.lookup.after.found)],
      ]),
      `backfill: ${w.lookup.backfillRequests} list pages in ${w.lookup.backfillMs} ms (budget 1,000 requests/s)`,
    ]),
  );
  lines.push("", "Goals");
  // With --only, the goals of the sections left out are not listed.
  const goals = r.only ? r.goals.filter((g) => g.measured) : r.goals;
  for (const g of goals) {
    const tag = !g.measured ? "NOT MEASURED" : g.met ? "MET" : "MISSED";
    lines.push(`  ${tag.padEnd(12)} ${g.name} (${g.target}): ${g.figure}`);
  }
  const missed = goals.filter((g) => !g.met).length;
  lines.push(
    "",
    `${goals.length - missed}/${goals.length} goals met; ${(r.durationMs / 1000).toFixed(1)} s in all.`,
  );
  return lines;
}

// ---- CLI ----

async function main(argv: string[]): Promise<void> {
  const cliFlag = argv.indexOf("--cli");
  const onlyFlag = argv.indexOf("--only");
  const opts: BenchOptions = {
    smoke: argv.includes("--smoke"),
    cli: cliFlag >= 0 ? argv[cliFlag + 1] : undefined,
    only: onlyFlag >= 0 ? (argv[onlyFlag + 1] ?? "").split(",") : undefined,
    resultsFile: RESULTS_FILE,
  };
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await runBench(opts);
  } catch (err) {
    // Even a run that could not start reports why and exits 0: the bench measures, it does not gate.
    console.log(`bench could not run: ${(err as Error).message}`);
  } finally {
    await stopAll();
  }
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main(process.argv.slice(2));
}
