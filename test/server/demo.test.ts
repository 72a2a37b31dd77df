// `spacepay-mcp demo` walks through the product against the built-in simulator and exits 0 quickly.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LISTED_TOOLS } from "../helpers/listed-tools.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

describe("demo walkthrough", () => {
  it("shows confirmation, payment, progress, a refused and a confirmed withdrawal, then exits 0", async () => {
    requireBuild();
    const started = Date.now();
    const root = path.resolve(import.meta.dirname, "../..");
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, "demo"], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "" },
      timeout: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stdout).toContain(`${LISTED_TOOLS.length} tools: ${LISTED_TOOLS.join(", ")}`);
    expect(stdout).toMatch(/Confirmation required/);
    expect(stdout).toMatch(/Created payment/);
    expect(stdout).toMatch(/progress: status/);
    expect(stdout).toMatch(/is completed \(paid and settled\)/);
    expect(stdout).toMatch(/Refused by SPACEPAY_MAX_WITHDRAWAL_CENTS/);
    expect(stdout).toMatch(/Created withdrawal/);
    expect(stdout).not.toMatch(/demo failed/);

    // Each step is told once: no progress line repeated, no server info line retelling a call on stderr.
    const progress = stdout.split("\n").filter((l) => l.includes("progress: "));
    expect(new Set(progress).size).toBe(progress.length);
    expect(stderr).not.toMatch(/money call/);

    // It ends naming a command that starts the server from here (not a bare name missing from PATH).
    const last = stdout.trimEnd().split("\n").at(-1) ?? "";
    const command = /`([^`]+)`/.exec(last)?.[1];
    expect(command).toBe("node dist/cli.js");
    const [bin, ...args] = command!.split(" ");
    const version = await promisify(execFile)(
      bin === "node" ? process.execPath : bin!,
      [...args, "--version"],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? "" },
        timeout: 10_000,
      },
    );
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  }, 30_000);
});
