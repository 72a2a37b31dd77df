// The command line: --help and --version, flags mirroring variables, and clear failures.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { VERSION } from "../../src/version.js";

const CLI = path.resolve(import.meta.dirname, "../../dist/cli.js");
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "" },
    timeout: 15_000,
  });
let stateDir: string;

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it first)");
  stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-mcp-cli-"));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe("spacepay-mcp command line", () => {
  it("--version prints the package version", async () => {
    expect((await run(["--version"])).stdout.trim()).toBe(VERSION);
  });

  it("--help shows the subcommands and every setting with its flag and variable", async () => {
    const { stdout } = await run(["--help"]);
    expect(stdout).toMatch(/spacepay-mcp simulator/);
    expect(stdout).toMatch(/spacepay-mcp demo/);
    expect(stdout).toMatch(/--read-only, SPACEPAY_READ_ONLY/);
    expect(stdout).toMatch(/--max-withdrawal-cents, SPACEPAY_MAX_WITHDRAWAL_CENTS/);
    expect(stdout).not.toMatch(/--secret-key/);
  });

  it("an unexpected argument fails with exit code 2 and says so", async () => {
    const err = await run(["bogus"]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/unexpected argument "bogus"/);
  });

  it("a secret passed as a flag is refused before startup", async () => {
    const err = await run(["--secret-key", "sk_test_abcdef123"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/--secret-key is not accepted/);
    expect((err as { stderr: string }).stderr).not.toContain("sk_test_abcdef123");
  });

  it("--read-only and --exclude-tools shape what the server offers", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "--read-only", "--exclude-tools", "wait_for_payment"],
      env: { PATH: process.env.PATH ?? "", SPACEPAY_STATE_DIR: stateDir },
      stderr: "pipe",
    });
    const client = new Client({ name: "cli-test", version: "1" });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain("get_payment");
      expect(names).not.toContain("create_payment");
      expect(names).not.toContain("create_withdrawal");
      expect(names).not.toContain("wait_for_payment");
    } finally {
      await client.close();
    }
  }, 30_000);
});
