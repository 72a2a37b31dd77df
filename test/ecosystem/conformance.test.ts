// The MCP conformance suite, every server scenario each protocol revision requires (plus those it runs
// unscored), against the built `--http` entry in demo mode. The suite needs Node 22: it runs on the
// node@22 binary from test/ecosystem/conformance-node, found by its package path, never on PATH;
// the server under test and these tests run on the project's Node. Every scenario the suite runs is
// named in conformance-baseline.json, as passing or as an expected failure with its reason.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { demoEnv, ROOT, run, startHttpServer, type HttpServer } from "./helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

const CONFORMANCE = path.join(ROOT, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const NODE22_PKG = path.join(import.meta.dirname, "conformance-node/node_modules/node");
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;
type Revision = (typeof REVISIONS)[number];
const SCENARIO_TIMEOUT_MS = 20_000;
const RUN_TIMEOUT_MS = 240_000;
/** A first run downloads node@22 (about 30 MB compressed). */
const NODE22_FETCH_TIMEOUT_MS = 300_000;

interface ExpectedFailure {
  scenario: string;
  /** Appears in the message of at least one failing check (or in the crash line of the scenario). */
  failsWith: string;
  /** The suite's fixture the scenario needs, when that alone keeps it failing on a domain server. */
  fixture?: string;
  /**
   * When given, exactly the checks that fail (by id): every other check of the scenario must not,
   * so a baselined scenario still guards the checks it passes.
   */
  failingChecks?: string[];
  reason: string;
}
interface RevisionBaseline {
  passes: string[];
  expectedFailures: ExpectedFailure[];
}
interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

const baseline = (
  JSON.parse(readFileSync(path.join(import.meta.dirname, "conformance-baseline.json"), "utf8")) as {
    revisions: Record<Revision, RevisionBaseline>;
  }
).revisions;

/** node@22's binary as its own package.json names it (bin/node, or bin/node.exe on Windows). */
function node22(): string {
  const pkgFile = path.join(NODE22_PKG, "package.json");
  if (!existsSync(pkgFile))
    throw new Error(
      "the conformance suite's Node 22 is missing: `node test/ecosystem/conformance-node/install.mjs` fetches it",
    );
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { bin: { node: string } };
  return path.join(NODE22_PKG, pkg.bin.node);
}

/** The server scenarios `list --requirements` names: the scored ones, then those run but never scored. */
async function offered(revision: Revision): Promise<{ scored: string[]; unscored: string[] }> {
  const res = await run(node22(), [CONFORMANCE, "list", "--server", "--requirements", revision], {
    timeoutMs: 30_000,
  });
  expect(res.code, res.stderr).toBe(0);
  const scored: string[] = [];
  const unscored: string[] = [];
  let section: "server" | "client" | "unscored" | undefined;
  for (const line of res.stdout.split("\n")) {
    if (line.startsWith("Server scenarios")) section = "server";
    else if (line.startsWith("Client scenarios")) section = "client";
    else if (line.startsWith("Run and reported, but never scored")) section = "unscored";
    const item = /^\s+- (\S+)(?: \[(server|client)\])?$/.exec(line);
    if (!item?.[1]) continue;
    if (section === "server") scored.push(item[1]);
    else if (section === "unscored" && item[2] === "server") unscored.push(item[1]);
  }
  return { scored, unscored };
}

interface ScenarioResult {
  failed: boolean;
  /** Failing checks as `id: message`, or the crash line of a scenario that produced no checks. */
  failures: string[];
  /** The ids of the failing checks (none for a crash). */
  failedIds: string[];
}

/** Runs every server scenario of `revision`; results land in <outDir>/server-<scenario>-<timestamp>/. */
async function runRevision(
  revision: Revision,
  url: string,
  outDir: string,
): Promise<{ code: number | null; output: string; results: Map<string, ScenarioResult> }> {
  mkdirSync(outDir, { recursive: true });
  const res = await run(
    node22(),
    [
      CONFORMANCE,
      "server",
      "--url",
      url,
      "--requirements",
      revision,
      "--timeout",
      String(SCENARIO_TIMEOUT_MS),
      "--output-dir",
      outDir,
    ],
    { cwd: outDir, timeoutMs: RUN_TIMEOUT_MS },
  );
  const output = res.stdout + res.stderr;
  const results = new Map<string, ScenarioResult>();
  for (const dir of readdirSync(outDir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/.exec(dir)?.[1];
    if (!scenario) continue;
    const file = path.join(outDir, dir, "checks.json");
    if (!existsSync(file)) {
      // The suite writes no checks when a scenario throws; its output says why.
      const crash = new RegExp(`^Failed to run scenario ${scenario}: .*$`, "m").exec(output)?.[0];
      results.set(scenario, { failed: true, failures: [crash ?? "crashed without checks"], failedIds: [] });
      continue;
    }
    const checks = JSON.parse(readFileSync(file, "utf8")) as Check[];
    const failing = checks.filter((c) => c.status === "FAILURE");
    const failures = failing.map((c) => `${c.id}: ${c.errorMessage ?? "(no message)"}`);
    results.set(scenario, { failed: failures.length > 0, failures, failedIds: failing.map((c) => c.id) });
  }
  return { code: res.code, output, results };
}

let server: HttpServer;
let stateDir: string;
let outRoot: string;

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  // Fetched on first use (once, into conformance-node/node_modules), never by a user's install; .ci/run
  // fetches it up front.
  const fetched = await run(
    process.execPath,
    [path.join(import.meta.dirname, "conformance-node/install.mjs")],
    {
      timeoutMs: NODE22_FETCH_TIMEOUT_MS,
    },
  );
  expect(fetched.code, fetched.stderr).toBe(0);
  stateDir = path.join(fileDir, "state");
  outRoot = path.join(fileDir, "out");
  server = await startHttpServer(demoEnv(stateDir));
}, NODE22_FETCH_TIMEOUT_MS + 60_000);
afterAll(async () => {
  await server?.stop();
});

describe("MCP conformance suite against --http (demo mode)", () => {
  it("runs on node@22's binary while the tests and the server run on the project's Node", async () => {
    const res = await run(node22(), ["--version"], { timeoutMs: 30_000 });
    expect(res.stdout).toMatch(/^v22\./);
    expect(realpathSync(process.execPath)).not.toBe(realpathSync(node22()));
    // A `node` in the project's node_modules/.bin would come first on PATH for every npm script.
    expect(existsSync(path.join(ROOT, "node_modules/.bin/node"))).toBe(false);
  });

  it.each(REVISIONS)(
    "%s: fails exactly the baselined scenarios, for the baselined reasons",
    async (revision) => {
      const { passes, expectedFailures } = baseline[revision];
      const { scored, unscored } = await offered(revision);
      const all = [...scored, ...unscored];
      const named = [...passes, ...expectedFailures.map((f) => f.scenario)];
      const problems: string[] = [];
      for (const s of all)
        if (!named.includes(s)) problems.push(`${s}: offered by the suite but not in the baseline`);
      for (const s of named)
        if (!all.includes(s)) problems.push(`${s}: in the baseline but no longer offered`);
      for (const s of new Set(named))
        if (named.filter((n) => n === s).length > 1) problems.push(`${s}: named twice in the baseline`);
      for (const f of expectedFailures)
        if (f.reason.length < 20 || f.failsWith.length < 5)
          problems.push(`${f.scenario}: give a reason and a failsWith`);

      const outDir = path.join(outRoot, revision);
      const { code, output, results } = await runRevision(revision, server.url, outDir);
      for (const s of all) {
        const result = results.get(s);
        const expected = expectedFailures.find((f) => f.scenario === s);
        if (!result) problems.push(`${s}: offered but produced no results`);
        else if (!expected && result.failed)
          problems.push(`${s}: fails\n    ${result.failures.join("\n    ")}`);
        else if (expected && !result.failed)
          problems.push(`${s}: now passes, move it to "passes" in conformance-baseline.json`);
        else if (expected && !result.failures.some((m) => m.includes(expected.failsWith)))
          problems.push(
            `${s}: fails, but no longer with "${expected.failsWith}"; update its reason\n    ${result.failures.join("\n    ")}`,
          );
        else if (
          expected?.failingChecks &&
          [...new Set(result.failedIds)].sort().join() !== [...expected.failingChecks].sort().join()
        )
          problems.push(
            `${s}: fails other checks than its failingChecks (${expected.failingChecks.join(", ")})\n    ${result.failures.join("\n    ")}`,
          );
      }
      expect(problems, `conformance ${revision} against ${server.url}:\n${output}`).toEqual([]);
      // The CLI's own verdict agrees: non-zero exactly when a scored scenario failed.
      const scoredFailed = scored.some((s) => results.get(s)?.failed);
      expect(code, output).toBe(scoredFailed ? 1 : 0);
    },
    RUN_TIMEOUT_MS + 40_000,
  );
});
