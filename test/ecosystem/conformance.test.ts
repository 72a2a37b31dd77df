// The MCP conformance suite's server scenarios that apply to any server, run against the built
// `--http` entry in demo mode. Known failures live in conformance-baseline.json, each with a reason.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoEnv, requireBuild, ROOT, run, startHttpServer, tempDir, type HttpServer } from "./helpers.js";

const CONFORMANCE = path.join(ROOT, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const SCENARIO_TIMEOUT_MS = 60_000;

/** Scenarios that need nothing from the server but the protocol (the rest call fixture tools). */
const SCENARIOS = [
  "server-initialize",
  "ping",
  "tools-list",
  "logging-set-level",
  "resources-list",
  "resources-subscribe",
  "resources-unsubscribe",
  "prompts-list",
  "dns-rebinding-protection",
];

interface ExpectedFailure {
  scenario: string;
  check: string;
  failsWith: string;
  reason: string;
}
interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

const baseline = (
  JSON.parse(readFileSync(path.join(import.meta.dirname, "conformance-baseline.json"), "utf8")) as {
    expectedFailures: ExpectedFailure[];
  }
).expectedFailures;

let server: HttpServer;
let stateDir: string;
let outRoot: string;

beforeAll(async () => {
  requireBuild();
  stateDir = tempDir("conformance-state");
  outRoot = tempDir("conformance-out");
  server = await startHttpServer(demoEnv(stateDir));
});
afterAll(async () => {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(outRoot, { recursive: true, force: true });
});

async function runScenario(
  scenario: string,
): Promise<{ code: number | null; output: string; checks: Check[] }> {
  const outDir = path.join(outRoot, scenario);
  const res = await run(
    process.execPath,
    [CONFORMANCE, "server", "--url", server.url, "--scenario", scenario, "--output-dir", outDir],
    { cwd: outRoot, timeoutMs: SCENARIO_TIMEOUT_MS },
  );
  const output = res.stdout + res.stderr;
  // Results land in <outDir>/server-<scenario>-<timestamp>/checks.json.
  const runs = readdirSync(outDir).filter((d) => d.startsWith(`server-${scenario}-`));
  expect(runs, `no results directory for ${scenario}:\n${output}`).toHaveLength(1);
  const checks = JSON.parse(readFileSync(path.join(outDir, runs[0] ?? "", "checks.json"), "utf8")) as Check[];
  return { code: res.code, output, checks };
}

describe("MCP conformance suite against --http (demo mode)", () => {
  it("still offers every scenario we run, and the baseline names only those", async () => {
    const res = await run(process.execPath, [CONFORMANCE, "list", "--server"], { timeoutMs: 30_000 });
    const offered = new Set([...res.stdout.matchAll(/^\s+- (\S+)$/gm)].map((m) => m[1]));
    expect(SCENARIOS.filter((s) => !offered.has(s))).toEqual([]);
    expect(baseline.filter((b) => !SCENARIOS.includes(b.scenario))).toEqual([]);
    for (const b of baseline)
      expect(b.reason.length, `reason for ${b.scenario}/${b.check}`).toBeGreaterThan(10);
  });

  describe.concurrent.each(SCENARIOS)("%s", (scenario) => {
    it(
      "fails only the baselined checks, for the baselined reason",
      async () => {
        const { code, output, checks } = await runScenario(scenario);
        expect(checks.length, `scenario produced no checks:\n${output}`).toBeGreaterThan(0);

        const expected = baseline.filter((b) => b.scenario === scenario);
        const failed = checks.filter((c) => c.status === "FAILURE");
        const unexpected = failed
          .filter((c) => !expected.some((b) => b.check === c.id))
          .map((c) => `${c.id}: ${c.errorMessage ?? "(no message)"}`);
        expect(unexpected, `unexpected conformance failures:\n${output}`).toEqual([]);

        for (const b of expected) {
          const check = checks.find((c) => c.id === b.check);
          expect(
            check,
            `baselined check ${b.check} no longer runs: remove it from the baseline`,
          ).toBeDefined();
          expect(
            check?.status,
            `baselined check ${b.check} now passes: remove it from conformance-baseline.json`,
          ).toBe("FAILURE");
          expect(check?.errorMessage ?? "", `baselined check ${b.check} fails for another reason`).toContain(
            b.failsWith,
          );
        }
        // The CLI's own verdict agrees: non-zero exactly when a check failed.
        expect(code, output).toBe(failed.length > 0 ? 1 : 0);
      },
      SCENARIO_TIMEOUT_MS + 10_000,
    );
  });
});
