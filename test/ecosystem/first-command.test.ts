// The README's command for running the server, spawned as written: every stdout line is a JSON-RPC
// message (npm's "> script" banner on stdout broke the Python SDK's stdio client). `npm start --silent`,
// the npm form the README gives, is held to the same rule.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { demoEnv, ROOT } from "./helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

let stateDir: string;
let checkout: string;
it.beforeAll(({ fileDir }) => {
  requireBuild();
  stateDir = path.join(fileDir, "state");
  // `npm start` rebuilds dist/: commands run in a scratch checkout, not under the other tests' feet.
  checkout = path.join(fileDir, "checkout");
  // The build scripts are copied, not linked: they write and read next to their own real path.
  mkdirSync(path.join(checkout, "scripts"), { recursive: true });
  for (const file of ["package.json", "scripts/build.mjs", "scripts/build-apps.mjs"]) {
    copyFileSync(path.join(ROOT, file), path.join(checkout, file));
  }
  for (const name of ["src", "apps", "node_modules", "tsconfig.json"]) {
    symlinkSync(path.join(ROOT, name), path.join(checkout, name));
  }
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: checkout, stdio: "ignore", timeout: 60_000 });
}, 90_000);

/** The README's run command: the line of its first sh block that says it starts the MCP server. */
function documentedRunCommand(): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const line = readme
    .split("\n")
    .find((l) => /^[a-z].*#\s*the MCP server over stdio/.test(l))
    ?.replace(/#.*$/, "")
    .trim();
  if (!line) throw new Error("README.md documents no command marked '# the MCP server over stdio'");
  return line;
}

/** Runs `command` in a shell in `cwd`, speaks initialize + tools/list, returns stdout's lines. */
function talk(command: string, cwd: string): Promise<string[]> {
  const env = { ...demoEnv(stateDir), npm_config_update_notifier: "false" };
  const child = spawn(command, { cwd, env, shell: true, stdio: ["pipe", "pipe", "ignore"] });
  let out = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += String(d);
      // tools/list answered: the exchange is complete; closing stdin stops the server.
      if (/"id":2,/.test(out) || /"id":2}/.test(out)) child.stdin.end();
    });
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out.split("\n").filter((l) => l !== ""));
    });
    const send = (m: object) => child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");
    send({
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    });
    send({ method: "notifications/initialized" });
    send({ id: 2, method: "tools/list" });
  });
}

function expectOnlyProtocol(lines: string[]): void {
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const line of lines) {
    let message: { jsonrpc?: string } | null = null;
    try {
      message = JSON.parse(line) as { jsonrpc?: string };
    } catch {
      // fall through to the assertion with the offending line
    }
    expect(message?.jsonrpc, `not a JSON-RPC message on stdout: ${line}`).toBe("2.0");
  }
  expect(lines.some((l) => l.includes('"tools":['))).toBe(true);
}

describe("the documented way to run the server", () => {
  it("prints nothing but protocol on stdout", async () => {
    expectOnlyProtocol(await talk(documentedRunCommand(), checkout));
  }, 40_000);

  it("npm start --silent prints nothing but protocol on stdout", async () => {
    expectOnlyProtocol(await talk("npm start --silent", checkout));
  }, 60_000);
});
