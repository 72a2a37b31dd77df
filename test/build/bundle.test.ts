// The build as users run it: dist/ is a self-contained esbuild bundle (only better-sqlite3 comes from
// node_modules): a CommonJS launcher holding the stdio front, and ESM modules behind it. A session
// loads the code for the simulator, HTTP transport, durable state, Ajv and undici only when it first
// needs them, and a warm start loads nothing but the launcher, which is what keeps the cold start short.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { startHttpServer } from "../ecosystem/helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(ROOT, "dist");
const CLI = path.join(DIST, "cli.js");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };

let sim: SimulatorHandle;
let work: string;

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  sim = await startSimulator({ samplePayments: 3 });
  work = fileDir;
  // A module hook that appends every URL Node loads to a file, so the test sees what a session loaded.
  writeFileSync(
    path.join(work, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_LOG, url + "\\n");
  return next(url, context);
}
`,
  );
  writeFileSync(
    path.join(work, "register.mjs"),
    `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
  );
});
afterAll(async () => {
  await sim?.close();
});

const jsFiles = () => readdirSync(DIST).filter((f) => /\.m?js$/.test(f));

// A bare specifier (the regex below also catches import-like text inside strings; this filters it out).
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/;

/** The packages that the built files import (Node built-ins are imported as `node:…`). */
function packageImports(): Set<string> {
  const found = new Set<string>();
  for (const file of jsFiles()) {
    const code = readFileSync(path.join(DIST, file), "utf8");
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)["']([^"']+)["']/g)) {
      const spec = m[1]!;
      // Quoted prose that reads like an import ("add 'import \"reflect-metadata\"'", "from 'alg'
      // argument", in bundled libraries' error messages) follows a quote; real statements never do.
      const before = code
        .slice(Math.max(0, m.index - 2), m.index)
        .trimEnd()
        .at(-1);
      if (before && `'"\``.includes(before)) continue;
      if (PACKAGE_NAME.test(spec)) found.add(spec);
    }
  }
  return found;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout }));
  });
}

describe("dist/ bundle", () => {
  it("is an executable CommonJS launcher with its ESM modules beside it and only better-sqlite3 left to node_modules", async () => {
    expect(readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    // dist/package.json makes the launcher CommonJS; everything else is ESM by its extension.
    expect(JSON.parse(readFileSync(path.join(DIST, "package.json"), "utf8"))).toEqual({ type: "commonjs" });
    expect(jsFiles().filter((f) => f.endsWith(".js"))).toEqual(["cli.js"]);
    expect(readdirSync(DIST, { withFileTypes: true }).filter((e) => e.isDirectory())).toEqual([]);
    expect([...packageImports()]).toEqual(["better-sqlite3"]);
    const { code, stdout } = await run(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it("loads undici on the first API call, SQLite only after the first answers (the state check), and never the simulator or HTTP transport", async () => {
    const log = path.join(work, "loaded.log");
    writeFileSync(log, "");
    const loaded = () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((u) => u.includes("/dist/") || u.includes("better-sqlite3"))
        .map((u) => (u.includes("better-sqlite3") ? "better-sqlite3" : path.basename(new URL(u).pathname)));
    const lazy = /^(undici|simulator|cli|serve-http|demo|safety|help|ajv|otel)-|better-sqlite3/;
    // The state check (issue 24 item 2) opens the state once the first answers are out.
    const stateCheck = /^safety-|^store-|^key-canary-|better-sqlite3/;

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["--import", pathToFileURL(path.join(work, "register.mjs")).href, CLI],
      env: {
        PATH: process.env.PATH ?? "",
        LOADED_LOG: log,
        SPACEPAY_SECRET_KEY: "sk_test_simulator",
        SPACEPAY_API_URL: sim.url,
        SPACEPAY_STATE_DIR: path.join(work, "state"),
      },
      stderr: "pipe",
    });
    const client = new Client({ name: "build-test", version: "1" });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools).toHaveLength(13);
      const atStart = loaded();
      expect(atStart).toEqual(expect.arrayContaining(["cli.js", "main.mjs"]));
      expect(atStart.filter((f) => lazy.test(f) && !stateCheck.test(f))).toEqual([]);

      const res = await client.callTool({ name: "list_payments", arguments: { limit: 1 } });
      expect(res.isError).toBeFalsy();
      expect(loaded().filter((f) => lazy.test(f) && !stateCheck.test(f))).toEqual([
        expect.stringMatching(/^undici-/),
      ]);
      // The state check has run by the time spacepay://account says so, and loaded SQLite for it.
      const account = async () =>
        JSON.parse(
          ((await client.readResource({ uri: "spacepay://account" })).contents[0] as { text: string }).text,
        ).state.status as string;
      for (let i = 0; i < 100 && (await account()) !== "ok"; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await account()).toBe("ok");
      expect(loaded()).toContain("better-sqlite3");
      // With no OTEL_* variable set, not one OpenTelemetry module was loaded (esbuild keeps each
      // bundled module's node_modules path in its wrapper, so any OTel code in a file names it).
      const otelCode = (f: string) => readFileSync(path.join(DIST, f), "utf8").includes("@opentelemetry/");
      expect(jsFiles().filter(otelCode).length).toBeGreaterThan(0);
      expect(loaded().filter((f) => /\.m?js$/.test(f) && otelCode(f))).toEqual([]);
    } finally {
      await client.close();
    }
  }, 30_000);
  it("the launcher holds the stdio front without zod or the SDK, and a warm start answers before any other file loads", async () => {
    // The launcher is one file: it requires only Node built-ins and reaches the rest by import().
    const launcher = readFileSync(CLI, "utf8");
    expect(launcher).toContain("warm start");
    expect(launcher).not.toMatch(/ZodType|McpServer|StdioServerTransport/);
    expect(
      [...launcher.matchAll(/\brequire\("([^"]+)"\)/g)]
        .map((m) => m[1])
        .filter((s) => !s!.startsWith("node:")),
    ).toEqual([]);
    expect([...launcher.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(["./main.mjs"]);

    const log = path.join(work, "warm-loaded.log");
    const state = path.join(work, "warm-state");
    const start = () =>
      new Promise<{ code: number | null; lines: string[] }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ["--import", pathToFileURL(path.join(work, "register.mjs")).href, CLI],
          {
            env: {
              PATH: process.env.PATH ?? "",
              LOADED_LOG: log,
              SPACEPAY_SECRET_KEY: "sk_test_simulator",
              SPACEPAY_API_URL: sim.url,
              SPACEPAY_STATE_DIR: state,
            },
            stdio: ["pipe", "pipe", "ignore"],
          },
        );
        const lines: string[] = [];
        let out = "";
        child.stdout.on("data", (d) => {
          out += String(d);
          const parts = out.split("\n");
          out = parts.pop()!;
          lines.push(...parts);
          // Both answered: close stdin, as a client that only wanted the list would.
          if (lines.length === 2) child.stdin.end();
        });
        child.once("error", reject);
        child.once("exit", (code) => resolve({ code, lines }));
        const send = (m: object) => child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");
        send({
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-11-25",
            capabilities: {},
            clientInfo: { name: "b", version: "1" },
          },
        });
        send({ method: "notifications/initialized" });
        send({ id: 2, method: "tools/list" });
      });
    const cold = await start();
    expect(cold.code).toBe(0);
    writeFileSync(log, "");
    const warm = await start();
    expect(warm.code).toBe(0);
    expect(warm.lines).toEqual(cold.lines);
    const loaded = readFileSync(log, "utf8")
      .split("\n")
      .filter((u) => u.includes("/dist/"))
      .map((u) => path.basename(new URL(u).pathname));
    // Both answered and stdin closed before the front handed over: the launcher was all that loaded.
    expect(loaded).toEqual(["cli.js"]);
  }, 30_000);

  it("an HTTP server loads the webhook receiver only when SPACEPAY_WEBHOOK_SECRET is set", async () => {
    // The receiver's code names the signature header; nothing else in dist/ does.
    const webhookCode = (f: string) =>
      readFileSync(path.join(DIST, f), "utf8").includes("x-spacepay-signature");
    expect(jsFiles().filter(webhookCode).length).toBeGreaterThan(0);
    const loadedBy = async (extra: Record<string, string>) => {
      const log = path.join(work, "http-loaded.log");
      writeFileSync(log, "");
      const server = await startHttpServer({
        PATH: process.env.PATH ?? "",
        NODE_OPTIONS: `--import=${pathToFileURL(path.join(work, "register.mjs")).href}`,
        LOADED_LOG: log,
        SPACEPAY_SECRET_KEY: "sk_test_simulator",
        SPACEPAY_API_URL: sim.url,
        SPACEPAY_STATE_DIR: path.join(work, "http-state"),
        SPACEPAY_INDEX_BACKFILL_MAX: "0",
        ...extra,
      });
      try {
        const health = await fetch(server.url.replace(/\/mcp$/, "/healthz"));
        expect(health.status).toBe(200);
        return readFileSync(log, "utf8")
          .split("\n")
          .filter((u) => u.includes("/dist/"))
          .map((u) => path.basename(new URL(u).pathname));
      } finally {
        await server.stop();
      }
    };
    expect((await loadedBy({})).filter(webhookCode)).toEqual([]);
    expect(
      (await loadedBy({ SPACEPAY_WEBHOOK_SECRET: "whsec_bundle_0123456789" })).filter(webhookCode),
    ).not.toEqual([]);
  }, 30_000);
});
