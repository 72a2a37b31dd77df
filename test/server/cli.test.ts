// The command line: --help and --version, flags mirroring variables, and clear failures.
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { VERSION } from "../../src/version.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "" },
    timeout: 15_000,
  });
/** A run expected to fail: its exit code and stderr. */
const failure = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 15_000,
  }).then(
    (ok) => ({ code: 0, stderr: ok.stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
beforeAll(() => requireBuild());

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

  it("--help's usage line names OAuth beside the bearer token", async () => {
    const usage = (await run(["--help"])).stdout.split("Settings")[0]!;
    expect(usage).toMatch(/--oauth-issuer URL --oauth-audience URL/);
    expect(usage).toMatch(/OAuth 2\.1: SPACEPAY_OAUTH_ISSUER and SPACEPAY_OAUTH_AUDIENCE/);
  });

  it("a mistyped flag is refused with exit 2, naming it, the likely one and the valid ones", async ({
    stateDir,
  }) => {
    const err = await failure(["--read-onyl"], { SPACEPAY_STATE_DIR: stateDir });
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("Unknown flag --read-onyl (did you mean --read-only?)");
    expect(err.stderr).toMatch(/Accepted: --api-url, .*--read-only, .*--host/);
    expect(err.stderr).not.toMatch(/configured for|demo mode/);
  });

  it("the README's placeholder key is refused with exit 2, naming the variable", async ({ stateDir }) => {
    const err = await failure([], { SPACEPAY_SECRET_KEY: "sk_test_…", SPACEPAY_STATE_DIR: stateDir });
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/Invalid SPACEPAY_SECRET_KEY: is a placeholder, not a key/);
  });

  it("a port in use gives one line naming --port and exit 2, for the server and the simulator", async ({
    stateDir,
  }) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = String((taken.address() as AddressInfo).port);
    try {
      const server = await failure(["--http", "--port", port], { SPACEPAY_STATE_DIR: stateDir });
      expect(server.code).toBe(2);
      const errors = server.stderr.split("\n").filter((l) => l.includes("error"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        `error: cannot listen, not starting: --port (SPACEPAY_MCP_PORT): port ${port} on 127.0.0.1 is already in use. Choose another port, or 0 for a free one.`,
      );
      expect(server.stderr).not.toMatch(/\n\s+at /);
      const sim = await failure(["simulator", "--port", port], {});
      expect(sim.code).toBe(2);
      expect(sim.stderr.trim()).toBe(
        `spacepay-mcp simulator: --port: port ${port} on 127.0.0.1 is already in use. Choose another port, or 0 for a free one.`,
      );
    } finally {
      taken.close();
    }
  });

  it("a --host that does not resolve gives one line naming --host and exit 2", async ({ stateDir }) => {
    const err = await failure(["--http", "--host", "no-such-host.invalid", "--port", "0"], {
      SPACEPAY_STATE_DIR: stateDir,
      SPACEPAY_MCP_HTTP_TOKEN: "cli-test-http-token-0123",
    });
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('--host (SPACEPAY_MCP_HOST): "no-such-host.invalid" does not resolve');
  });

  it("--read-only and --exclude-tools shape what the server offers", async ({ stateDir }) => {
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
