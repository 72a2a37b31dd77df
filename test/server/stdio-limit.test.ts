// Issue 11 item 11: a stdio line longer than the SDK's read buffer closes the transport; the built
// server says so on stderr and exits non-zero, instead of exiting 0 without a word.
import { spawn } from "node:child_process";
import { expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from "@modelcontextprotocol/sdk/shared/stdio.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

let stateDir: string;

it.beforeAll(({ fileDir }) => {
  requireBuild();
  stateDir = fileDir;
});

it("an over-long stdio line is logged to stderr, and the server exits with an error", async () => {
  // Demo mode: no key, no URL, nothing outside this machine.
  const child = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? "", SPACEPAY_STATE_DIR: stateDir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  child.stdout.on("data", (d) => (stdout += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stdin.on("error", () => {}); // the server may stop reading before the last chunk is written
  try {
    // Wait until it serves, then send one line without an end, just over the limit.
    const deadline = Date.now() + 15_000;
    while (!/demo mode/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.stdin.write(Buffer.alloc(STDIO_DEFAULT_MAX_BUFFER_SIZE + 1, "x"));
    const code = await Promise.race([
      exited,
      new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000)),
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: stdio: .*exceeded maximum size of \d+ bytes/);
    expect(stderr).toMatch(/stdio transport closed after an error; stopping/);
    expect(stdout).toBe(""); // nothing but protocol, and no protocol was spoken
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}, 40_000);
