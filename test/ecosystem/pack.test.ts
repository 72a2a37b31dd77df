// The npm package as users get it: `npm pack` ships the built CLI and nothing from development, and
// the tarball installed into an empty project runs as `spacepay-mcp` (version, then tools over stdio).
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { connectStdio, demoEnv, ROOT, run } from "./helpers.js";
import { LISTED_TOOLS } from "../helpers/listed-tools.js";
import { requireBuild } from "../helpers/built-cli.js";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
const INSTALL_TIMEOUT_MS = 120_000;
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  scripts: Record<string, string>;
};

let work: string;
let tarball: string;
let entries: string[];
let project: string;

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  work = fileDir;
  // --ignore-scripts: packs the dist/ this run built, without prepack's rebuild, which rewrites dist/
  // in place while other test files spawn servers from it (prepack itself is checked below).
  const packed = await run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
    cwd: ROOT,
    timeoutMs: 60_000,
  });
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  tarball = path.join(work, info?.filename ?? "");
  entries = (await run("tar", ["-tzf", tarball], { timeoutMs: 30_000 })).stdout.split("\n").filter(Boolean);
}, 90_000);

describe("npm package", () => {
  it("ships the built CLI, README and package.json, and nothing from development", () => {
    expect(entries).toEqual(
      expect.arrayContaining([
        "package/dist/cli.js",
        "package/README.md",
        "package/package.json",
        "package/LICENSE",
      ]),
    );
    const dev = entries.filter((e) =>
      /^package\/(src|test|bench|scripts|node_modules|coverage|\.state)\//.test(e),
    );
    expect(dev).toEqual([]);
    expect(entries.filter((e) => /\.(ts|tsbuildinfo|mcpb|tgz)$/.test(e) && !e.endsWith(".d.ts"))).toEqual([]);
  });

  it("builds before packing, and runs no script at install that names a file it does not ship", () => {
    const { scripts } = pkg;
    expect(scripts.prepack).toMatch(/npm run build/);
    // npm runs these on a user's install (and in the bundle's staged `npm ci --omit=dev`).
    for (const hook of ["preinstall", "install", "postinstall", "prepare"])
      expect(scripts[hook]).toBeUndefined();
  });

  describe("installed from the tarball into an empty project", () => {
    beforeAll(async () => {
      project = path.join(work, "project");
      rmSync(project, { recursive: true, force: true });
      mkdirSync(project);
      writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "pack-test", private: true }));
      // --ignore-scripts: better-sqlite3 would build for a minute; SQLite opens only when money moves.
      const installed = await run(
        NPM,
        ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball],
        { cwd: project, timeoutMs: INSTALL_TIMEOUT_MS },
      );
      expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    }, INSTALL_TIMEOUT_MS + 10_000);

    it("links an executable `spacepay-mcp` that prints the package version", async () => {
      const bin = path.join(project, "node_modules/.bin/spacepay-mcp");
      accessSync(bin, constants.X_OK);
      const installedCli = path.join(project, "node_modules/spacepay-mcp/dist/cli.js");
      expect(readFileSync(installedCli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
      const res = await run(NPX, ["--no", "--", "spacepay-mcp", "--version"], {
        cwd: project,
        timeoutMs: 60_000,
      });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout.trim()).toBe(pkg.version);
    }, 70_000);

    it("serves every tool over stdio in demo mode", async ({ stateDir }) => {
      const { client } = await connectStdio(
        path.join(project, "node_modules/.bin/spacepay-mcp"),
        [],
        demoEnv(stateDir),
      );
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(LISTED_TOOLS);
        const account = await client.readResource({ uri: "spacepay://account" });
        expect(JSON.stringify(account.contents)).toContain('\\"mode\\":\\"demo\\"');
      } finally {
        await client.close();
      }
    }, 30_000);
  });
});
