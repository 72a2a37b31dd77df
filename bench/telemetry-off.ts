// Telemetry off costs nothing. With no OTEL_* variable set, what the server still does for telemetry is
// call the no-op hooks of src/telemetry.ts at each instrumentation point; a build without
// instrumentation would call nothing there. So this section measures exactly that difference:
// - at start: which files the built server loads (a loader hook records them) until it has answered
//   tools/list and one get_payment: how many hold OpenTelemetry code (esbuild keeps each bundled
//   module's node_modules path in its wrapper), and the size of the no-op hooks' file;
// - per call: how many hooks one get_payment and one money call (create_payment) pass, counted on the
//   real runtime in this process, times what one hook costs over calling the work directly, each
//   call-site shape timed against its bare form in alternating blocks of the same run.
// The section reports that as a share of our server's CPU and p50 per call from section 2.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ourServer, RpcChild, ROOT, tempStateDir } from "./child.js";
import { median, now, round, withTimeout } from "./stats.js";
import { setLogLevel } from "../src/log.js";
import { installTelemetry, telemetry, type Telemetry } from "../src/telemetry.js";
import { startHarness } from "../test/helpers/mcp-harness.js";

type Hook = "request" | "step" | "upstream" | "moneyOutcome" | "budgetWait";
const HOOKS: readonly Hook[] = ["request", "step", "upstream", "moneyOutcome", "budgetWait"];

export interface TelemetryOffResult {
  /** At start and through one get_payment, with OTEL_* unset: files loaded, and those holding OpenTelemetry code. */
  start: { filesLoaded: number; otelFilesLoaded: number; otelFilesInBuild: number; hookFileBytes: number };
  /** No-op hook calls per call, counted on the real runtime. */
  hooksPerCall: { getPayment: Record<Hook, number>; createPayment: Record<Hook, number> };
  /** Nanoseconds one no-op hook adds over calling the work directly (median of the blocks; ≤ 0 is noise). */
  hookNs: Record<Hook, number>;
  /** Hooks per call × ns per hook: what telemetry off adds to one call, in nanoseconds. */
  addedNsPerCall: { getPayment: number; createPayment: number };
}

/** One loader hook file: registers itself as the hooks (off the main thread) and logs every URL loaded. */
const LOADER = path.join(ROOT, "bench", "loaded-files.mjs");

async function filesAtStart(cli: string, apiUrl: string, id: string): Promise<TelemetryOffResult["start"]> {
  const dir = path.dirname(cli);
  const state = tempStateDir();
  const log = path.join(state.dir, "loaded.log");
  const spec = ourServer(cli, apiUrl, state.dir);
  const server = new RpcChild({
    ...spec,
    args: ["--import", pathToFileURL(LOADER).href, ...spec.args],
    env: { ...spec.env, LOADED_LOG: log },
  });
  try {
    await withTimeout(server.handshake(), 15_000, "server handshake (loader hook)");
    await withTimeout(server.callTool("get_payment", { paymentId: id }), 15_000, "get_payment");
  } finally {
    await server.stop();
  }
  // The CommonJS launcher (.js) and the ESM modules (.mjs).
  const built = readdirSync(dir).filter((f) => /\.m?js$/.test(f));
  const code = (f: string) => readFileSync(path.join(dir, f), "utf8");
  const otel = new Set(built.filter((f) => code(f).includes("@opentelemetry/")));
  const loaded = new Set(
    readFileSync(log, "utf8")
      .split("\n")
      .filter((u) => u.startsWith("file:"))
      .map((u) => path.relative(dir, new URL(u).pathname)),
  );
  state.remove();
  rmSync(log, { force: true });
  if (!loaded.has(path.basename(cli))) throw new Error("the loader hook recorded nothing: no figure");
  // Zero of zero would read as met: a build whose files this misses must fail instead.
  if (otel.size === 0) throw new Error("no built file holds OpenTelemetry code: no figure");
  const hookFile = built.find((f) => /\binstallTelemetry\b/.test(code(f)) && !otel.has(f));
  return {
    filesLoaded: loaded.size,
    otelFilesLoaded: [...loaded].filter((f) => otel.has(f)).length,
    otelFilesInBuild: otel.size,
    hookFileBytes: hookFile ? Buffer.byteLength(code(hookFile)) : 0,
  };
}

/** Hooks per call for get_payment and create_payment, on the real runtime (in process, its own simulator). */
async function countHooks(calls: number): Promise<TelemetryOffResult["hooksPerCall"]> {
  const off = telemetry;
  const counts = Object.fromEntries(HOOKS.map((h) => [h, 0])) as Record<Hook, number>;
  const counting: Telemetry = {
    request: (info, run) => (counts.request++, off.request(info, run)),
    step: (name, run, describe) => (counts.step++, off.step(name, run, describe)),
    upstream: (a) => (counts.upstream++, off.upstream(a)),
    moneyOutcome: (o) => (counts.moneyOutcome++, off.moneyOutcome(o)),
    budgetWait: () => (counts.budgetWait++, off.budgetWait()),
    shutdown: () => off.shutdown(),
  };
  const h = await startHarness();
  const perCall = async (fn: (i: number) => Promise<unknown>) => {
    await fn(-1); // the first call opens the state store: not a steady call
    for (const k of HOOKS) counts[k] = 0;
    for (let i = 0; i < calls; i++) await fn(i);
    return Object.fromEntries(HOOKS.map((k) => [k, round(counts[k] / calls, 2)])) as Record<Hook, number>;
  };
  const ok = async (name: string, args: Record<string, unknown>) => {
    const res = await h.call(name, args);
    if (res.isError) throw new Error(`${name} failed: ${JSON.stringify(res.content)}`);
    return res;
  };
  installTelemetry(counting);
  // The bench's own stderr is not the place for the runtime's info lines.
  setLogLevel("warn");
  try {
    const made = await ok("create_payment", { amountInCents: 500, orderId: "bench-telemetry-first" });
    const id = (made.structuredContent as { payment?: { id?: string } } | undefined)?.payment?.id;
    if (!id) throw new Error("create_payment returned no id");
    const createPayment = await perCall((i) =>
      ok("create_payment", { amountInCents: 500, orderId: `bench-telemetry-${i + 1}` }),
    );
    const getPayment = await perCall(() => ok("get_payment", { paymentId: id }));
    return { getPayment, createPayment };
  } finally {
    installTelemetry(off);
    setLogLevel("info");
    await h.close();
  }
}

let sink = 0;
const work = (i: number) => i & 7;
const settled = Promise.resolve(0);
/** Read after the loops, so the step results are not dead code. */
export let lastStep: Promise<number> = settled;
const event = { method: "GET", path: "/v1/x", status: 200, durationMs: 1, attempt: 1 };

/**
 * Each hook in the shape its call sites use, against the same loop without it: the work called
 * directly, and no call at all where the hook only reports. Alternating blocks; median difference.
 */
function timeHooks(iterations: number, rounds: number): Record<Hook, number> {
  const shapes: Record<Hook, [bare: (i: number) => void, hooked: (i: number) => void]> = {
    request: [
      (i) => (sink ^= work(i)),
      (i) =>
        (sink ^= telemetry.request(
          () => ({ method: "tools/call", requestId: i }),
          () => work(i),
        )),
    ],
    // A step wraps work that returns a promise: the same settled one each time (no allocation to time).
    step: [
      (i) => ((lastStep = settled), (sink ^= i)),
      (i) => ((lastStep = telemetry.step("policy", () => settled)), (sink ^= i)),
    ],
    upstream: [(i) => (sink ^= i), (i) => (telemetry.upstream(event), (sink ^= i))],
    moneyOutcome: [
      (i) => (sink ^= i),
      (i) => (telemetry.moneyOutcome({ tool: "create_payment", status: "done", channel: null }), (sink ^= i)),
    ],
    budgetWait: [(i) => (sink ^= i), (i) => (telemetry.budgetWait(), (sink ^= i))],
  };
  const loop = (fn: (i: number) => void) => {
    const t = now();
    for (let i = 0; i < iterations; i++) fn(i);
    return ((now() - t) * 1e6) / iterations;
  };
  const result = {} as Record<Hook, number>;
  for (const hook of HOOKS) {
    const [bare, hooked] = shapes[hook];
    const diffs: number[] = [];
    for (let r = 0; r < rounds; r++) diffs.push(loop(hooked) - loop(bare));
    result[hook] = round(median(diffs), 2);
  }
  return result;
}

export async function measureTelemetryOff(opts: {
  cli: string;
  apiUrl: string;
  ids: readonly string[];
  calls: number;
  iterations: number;
}): Promise<TelemetryOffResult> {
  const start = await filesAtStart(opts.cli, opts.apiUrl, opts.ids[0]!);
  const hooksPerCall = await countHooks(opts.calls);
  const hookNs = timeHooks(opts.iterations, 7);
  const added = (perCall: Record<Hook, number>) =>
    round(
      HOOKS.reduce((sum, k) => sum + perCall[k] * Math.max(0, hookNs[k]), 0),
      1,
    );
  return {
    start,
    hooksPerCall,
    hookNs,
    addedNsPerCall: {
      getPayment: added(hooksPerCall.getPayment),
      createPayment: added(hooksPerCall.createPayment),
    },
  };
}
