// The benchmark keeps working: a smoke run (tiny counts) of `npm run bench` against the built server
// yields every section with figures and a met/missed verdict per goal, and leaves no process behind.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnedPids } from "../bench/child.js";
import { runBench, type BenchResult } from "../bench/run.js";
import type { TestPostgres } from "./helpers/postgres.js";
import { sharedPostgres } from "./helpers/shared-postgres.js";

const CLI = path.resolve(import.meta.dirname, "../dist/cli.js");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every leaf of `value` that is a number, by path. */
function numbers(value: unknown, at = ""): Array<[string, number]> {
  if (typeof value === "number") return [[at, value]];
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => numbers(v, at ? `${at}.${k}` : k));
  }
  return [];
}

it("loads outside vitest, as `npm run bench` runs it (a helper it imports must not need the test runner)", async () => {
  // The smoke run below imports the bench inside vitest, where a test-only import works anyway.
  const { stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "-e", 'await import("./bench/run.ts")'],
    { cwd: path.resolve(import.meta.dirname, ".."), timeout: 15_000 },
  );
  expect(stderr).toBe("");
});

describe("npm run bench (smoke)", () => {
  let result: BenchResult;
  const output: string[] = [];
  let postgres: TestPostgres | undefined;

  beforeAll(async () => {
    if (!existsSync(CLI))
      throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it first)");
    postgres = await sharedPostgres();
    result = await runBench({
      smoke: true,
      print: (line) => output.push(line),
      resultsFile: null,
      databaseUrl: await postgres.freshDatabase(),
    });
  }, 90_000);
  afterAll(() => postgres?.stop());

  it("measures every section, each with finite figures", () => {
    for (const [name, section] of Object.entries(result.sections)) {
      expect(section.error, `${name} failed`).toBeUndefined();
      expect(section.ok, name).toBe(true);
      const figures = numbers(section.result);
      expect(figures.length, `${name} has figures`).toBeGreaterThan(0);
      for (const [at, n] of figures) expect(Number.isFinite(n), `${name}.${at} = ${n}`).toBe(true);
    }
    expect(result.sections.coldStart.result!.ours.runs).toBeGreaterThanOrEqual(2);
    expect(result.sections.tokens.result!.tools).toBe(13);
    // The 2026-07-28 series: its own cold start, and the same call with the envelope, which costs bytes.
    expect(result.sections.coldStart.result!.era2026.ours.runs).toBeGreaterThanOrEqual(2);
    const env = result.sections.overhead.result!.era2026;
    expect(env.envelopeBytes).toBeGreaterThan(0);
    expect(env.sentPerCall2026 - env.sentPerCall2025).toBeGreaterThanOrEqual(env.envelopeBytes);
    // Server CPU per call, read from /proc: our server does real work (an HTTP call) on both eras.
    if (process.platform === "linux") {
      const cpu = result.sections.overhead.result!.cpuPerCallMs;
      expect(cpu.mcp).toBeGreaterThan(0);
      expect(cpu.era2026).toBeGreaterThan(0);
      expect(cpu.sdkFloor).not.toBeNull();
      expect(output.join("\n")).toMatch(/server CPU\/call/);
    }
  });

  it("gives every goal a figure and a met/missed verdict, and prints them with the machine", () => {
    expect(result.goals.length).toBeGreaterThanOrEqual(12);
    for (const g of result.goals) {
      expect(g.measured, g.name).toBe(true);
      expect(typeof g.met, g.name).toBe("boolean");
      expect(g.figure).toMatch(/\d/);
    }
    const text = output.join("\n");
    expect(text).toMatch(/Machine: \d+ cores, Node v\d+/);
    expect(text).toMatch(/^ {2}(MET|MISSED) +Cold start vs bare Node, 2025-11-25/m);
    expect(text).toMatch(/^ {2}(MET|MISSED) +Cold start vs bare Node, 2026-07-28/m);
    expect(text).toMatch(/^ {2}(MET|MISSED) +Per-call overhead at p50, 2026-07-28/m);
    // HTTP: ours, the SDK v2 floor and the direct GET, side by side in the same run.
    expect(text).toMatch(/^ {2}(MET|MISSED) +HTTP calls\/s at 16 in flight vs the SDK v2 floor/m);
    expect(text).toMatch(/^ {2}(MET|MISSED) +HTTP added p50 at 1 in flight vs the SDK v2 floor's/m);
    const http = result.sections.http.result!;
    for (const path of ["ours", "floor", "direct"] as const)
      expect(http.rounds[0]!.concurrent[path].perSec, path).toBeGreaterThan(0);
    // Webhooks: the watched payments cost fewer requests with them, and the index finds the order.
    const hooks = result.sections.webhooks.result!;
    expect(hooks.watched.perIntervalWithWebhooks).toBeLessThan(hooks.watched.perIntervalWithout);
    expect(hooks.lookup.after).toMatchObject({ found: true });
    expect(text).toMatch(/10\. Webhooks and the order index/);
  });

  it("leaves no child process running", () => {
    const pids = spawnedPids();
    // Five cold-start series twice, two sessions, memory, two simulators and two HTTP servers at the least.
    expect(pids.length).toBeGreaterThanOrEqual(17);
    expect(pids.filter(alive)).toEqual([]);
  });
});
