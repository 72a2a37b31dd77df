// Issue 24 item 2: misconfigured state is found at startup. Over HTTP the server does not start (exit 2,
// one line naming the variable and the reason, no secret); on stdio the same checks run right after
// the first answers, and a failure is logged, shown in spacepay://account and named by every money
// call's refusal. Real PostgreSQL for the database cases.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { openState } from "../../src/safety/index.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { TestPostgres } from "../helpers/postgres.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { reachesNothing, spawnStdioServer, startListedHarness, withdrawal } from "./helpers.js";
import { textOf, type ToolResult } from "../helpers/mcp-harness.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

const KEY_A = randomBytes(32).toString("base64");
const KEY_B = randomBytes(32).toString("base64");
const MERCHANT_KEY = "sk_test_simulator";

let sim: SimulatorHandle;
let pg: TestPostgres;

beforeAll(async () => {
  requireBuild();
  [sim, pg] = await Promise.all([startSimulator({ processingMs: 20 }), sharedPostgres()]);
}, 120_000);
afterAll(async () => {
  await sim?.close();
  await pg?.stop();
});

/** `spacepay-mcp --http --port 0` with `env`; resolves when it exits, or after it announces it serves. */
function startHttp(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, "--http", "--port", "0"], {
      env: {
        PATH: process.env.PATH ?? "",
        SPACEPAY_SECRET_KEY: MERCHANT_KEY,
        SPACEPAY_API_URL: sim.url,
        ...env,
      },
      timeout: 30_000,
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      // Started after all: stop it; the test then sees a 0 where it wanted a 2.
      if (stderr.includes("MCP over Streamable HTTP at")) child.kill("SIGTERM");
    });
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

/** A state directory whose data was sealed with KEY_A. */
async function sqliteStateSealedWithA(dir: string): Promise<string> {
  const store = await openState({ stateDir: dir, stateKey: Buffer.from(KEY_A, "base64") });
  await store.secrets.put("pay_1", "payment-secret-value");
  await store.close();
  return dir;
}

describe("HTTP startup", () => {
  it("a wrong database password exits 2 naming SPACEPAY_DATABASE_URL and 'authentication failed', never the URL or password", async ({
    stateDir,
  }) => {
    const good = await pg.freshDatabase();
    const wrongPassword = "not-the-password-7781";
    const bad = good.replace(/:[^:@/]+@/, `:${wrongPassword}@`);
    const { code, stderr } = await startHttp({
      SPACEPAY_DATABASE_URL: bad,
      SPACEPAY_STATE_KEY: KEY_A,
      SPACEPAY_STATE_DIR: stateDir,
    });
    expect(code, stderr).toBe(2);
    const errors = stderr.split("\n").filter((l) => / error:/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/not starting: .*SPACEPAY_DATABASE_URL.*authentication failed/);
    for (const secret of [wrongPassword, bad, "test-only-password", KEY_A])
      expect(stderr).not.toContain(secret);
    expect(stderr).not.toMatch(/postgres:\/\//);
  }, 40_000);

  it("a state key that does not open the database's data exits 2 naming SPACEPAY_STATE_KEY", async ({
    stateDir,
  }) => {
    const url = await pg.freshDatabase();
    const store = await openState({
      stateDir,
      databaseUrl: url,
      stateKey: Buffer.from(KEY_A, "base64"),
    });
    await store.close();
    const { code, stderr } = await startHttp({
      SPACEPAY_DATABASE_URL: url,
      SPACEPAY_STATE_KEY: KEY_B,
      SPACEPAY_STATE_DIR: stateDir,
    });
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/not starting: SPACEPAY_STATE_KEY does not open the existing state/);
    for (const secret of [KEY_A, KEY_B, url]) expect(stderr).not.toContain(secret);
  }, 40_000);

  it("a state key that does not open the state directory's data exits 2 naming SPACEPAY_STATE_KEY", async ({
    stateDir,
  }) => {
    const dir = await sqliteStateSealedWithA(stateDir);
    const { code, stderr } = await startHttp({ SPACEPAY_STATE_DIR: dir, SPACEPAY_STATE_KEY: KEY_B });
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/not starting: SPACEPAY_STATE_KEY does not open the existing state/);
    for (const secret of [KEY_A, KEY_B]) expect(stderr).not.toContain(secret);
    // The right key still starts.
    expect((await startHttp({ SPACEPAY_STATE_DIR: dir, SPACEPAY_STATE_KEY: KEY_A })).code).not.toBe(2);
  }, 40_000);

  it("a state directory that is a file exits 2 naming SPACEPAY_STATE_DIR", async ({ stateDir }) => {
    const file = path.join(stateDir, "a-file");
    fs.writeFileSync(file, "not a directory");
    const { code, stderr } = await startHttp({ SPACEPAY_STATE_DIR: file });
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/not starting: .*SPACEPAY_STATE_DIR/);
    expect(stderr).toContain("is not a directory");
  }, 40_000);
});

describe("the state key's canary", () => {
  it("a state from before the canary is checked against a payment secret it holds", async ({ stateDir }) => {
    const dir = await sqliteStateSealedWithA(stateDir);
    // As a state written before the canary existed: only the payment secret.
    const db = new Database(path.join(dir, "state.sqlite"));
    expect(db.prepare("DELETE FROM payment_secrets WHERE payment_id <> 'pay_1'").run().changes).toBe(1);
    db.close();
    await expect(openState({ stateDir: dir, stateKey: Buffer.from(KEY_B, "base64") })).rejects.toThrow(
      /SPACEPAY_STATE_KEY does not open the existing state/,
    );
    const store = await openState({ stateDir: dir, stateKey: Buffer.from(KEY_A, "base64") });
    expect(await store.secrets.get("pay_1")).toBe("payment-secret-value");
    await store.close();
  });
});

describe("stdio", () => {
  it("checks after the first answers: logged at error, shown in spacepay://account, named by the money call's refusal", async ({
    stateDir,
  }) => {
    const dir = await sqliteStateSealedWithA(stateDir);
    const server = await spawnStdioServer({
      SPACEPAY_SECRET_KEY: MERCHANT_KEY,
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_STATE_DIR: dir,
      SPACEPAY_STATE_KEY: KEY_B,
      SPACEPAY_CONFIRM: "token",
    });
    try {
      // The session still serves: the first answers came, and reads work.
      expect((await server.client.listTools()).tools.length).toBeGreaterThan(0);
      const account = async () =>
        JSON.parse(
          ((await server.client.readResource({ uri: "spacepay://account" })).contents[0] as { text: string })
            .text,
        ) as { state: { status: string; variable?: string } };
      const logged = /error: durable state does not open.*SPACEPAY_STATE_KEY does not open/;
      let state = (await account()).state;
      // Both come once the check has run: wait for them (bounded), not for a fixed time.
      for (let i = 0; i < 100 && (state.status !== "unavailable" || !logged.test(server.stderr())); i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await account()).state;
      }
      expect(state).toMatchObject({ status: "unavailable", variable: "SPACEPAY_STATE_KEY" });
      expect(server.stderr()).toMatch(logged);
      const res = (await reachesNothing(sim, () =>
        server.client.callTool({ name: "create_withdrawal", arguments: withdrawal() }),
      )) as ToolResult;
      expect(res.isError).toBe(true);
      expect(res.structuredContent.rule).toBe("SPACEPAY_STATE_KEY");
      expect(textOf(res)).toMatch(/SPACEPAY_STATE_KEY does not open the existing state.*Nothing was sent/);
      for (const secret of [KEY_A, KEY_B]) expect(server.stderr() + textOf(res)).not.toContain(secret);
    } finally {
      await server.close();
    }
  }, 40_000);

  it("an in-process runtime reports the same problem from checkState, and the right key opens", async ({
    stateDir,
  }) => {
    const dir = await sqliteStateSealedWithA(stateDir);
    const wrong = await startListedHarness({
      sharedSim: sim,
      stateDir: dir,
      env: { SPACEPAY_STATE_KEY: KEY_B },
    });
    try {
      expect(await wrong.runtime.checkState()).toMatchObject({ variable: "SPACEPAY_STATE_KEY" });
    } finally {
      await wrong.close();
    }
    const right = await startListedHarness({
      sharedSim: sim,
      stateDir: dir,
      env: { SPACEPAY_STATE_KEY: KEY_A },
    });
    try {
      expect(await right.runtime.checkState()).toBeNull();
    } finally {
      await right.close();
    }
  }, 40_000);
});
