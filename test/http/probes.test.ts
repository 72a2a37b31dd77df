// Issue 24 item 1: GET /healthz and GET /readyz for a load balancer. /readyz is 503 naming each
// failing check (no values, no secrets) when the database is down, the state key does not open the
// state, the OAuth issuer's keys cannot be loaded, or the server is draining; while draining, the
// listener still answers probes on new connections. Real PostgreSQL for the database case.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { createOAuthGate } from "../../src/http/oauth.js";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { SCOPE_POLICY } from "../../src/server/select-tools.js";
import { openState } from "../../src/safety/index.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { freePort, startPostgres } from "../helpers/postgres.js";
import { rawRequest, serveHarness } from "../helpers/http-harness.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { startTestIssuer } from "../helpers/test-issuer.js";

const AUDIENCE = "https://mcp.test.example/mcp";
const STATE_KEY = randomBytes(32).toString("base64");
const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  connection: "close",
};
const PING = { jsonrpc: "2.0", id: 1, method: "ping" };

let sim: SimulatorHandle;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 20 });
});
afterAll(async () => {
  for (const o of opened.reverse()) await o.close().catch(() => {});
  await sim?.close();
});

async function served(
  env: Record<string, string>,
  oauthGate = false,
): Promise<{ h: Harness; http: RunningHttp }> {
  const h = await startHarness({ sharedSim: sim, env: { SPACEPAY_MCP_HTTP: "true", ...env } });
  opened.push(h);
  const oauth = oauthGate
    ? createOAuthGate({ ...h.runtime.config.oauth!, ...SCOPE_POLICY, fetchTimeoutMs: 1_000 })
    : null;
  const http = await serveHarness(h, { token: h.runtime.config.mcpHttpToken, ...(oauth && { oauth }) });
  opened.push(http);
  return { h, http };
}

/** GET a probe with no credential at all: status and parsed body. */
async function probe(http: RunningHttp, which: "healthz" | "readyz") {
  // A new connection each time, as a load balancer's probe opens one.
  const res = await rawRequest(http.url.replace("/mcp", `/${which}`), { connection: "close" });
  return {
    status: res.status,
    text: res.text,
    body: JSON.parse(res.text) as { failing?: string[]; checks?: Record<string, boolean> },
  };
}

describe("probes", () => {
  it("/healthz and /readyz answer 200 without authentication when every check holds", async () => {
    const { http } = await served({ SPACEPAY_MCP_HTTP_TOKEN: "probe-test-token-0123456789" });
    expect((await probe(http, "healthz")).status).toBe(200);
    const ready = await probe(http, "readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: "ready",
      failing: [],
      checks: { configuration: true, state: true, stateKey: true, notDraining: true },
    });
    // /mcp still wants the token: the probes open nothing else.
    expect((await rawRequest(http.url, MCP_HEADERS, PING)).status).toBe(401);
  });

  it("a state key that does not open the state: /readyz 503 naming stateKey, never the key", async ({
    fileDir,
  }) => {
    // The file's directory: the server started on it runs until the file's end.
    const dir = path.join(fileDir, "state");
    const other = await openState({ stateDir: dir, stateKey: randomBytes(32) });
    await other.close();
    const { http } = await served({ SPACEPAY_STATE_DIR: dir, SPACEPAY_STATE_KEY: STATE_KEY });
    const ready = await probe(http, "readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual(["stateKey"]);
    expect(ready.text).not.toContain(STATE_KEY);
    expect(ready.text).not.toContain(dir);
    expect((await probe(http, "healthz")).status).toBe(200);
  });

  it("the OAuth issuer down: /readyz 503 naming oauthKeys; with the issuer up, 200", async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const { http } = await served({ SPACEPAY_OAUTH_ISSUER: down, SPACEPAY_OAUTH_AUDIENCE: AUDIENCE }, true);
    const ready = await probe(http, "readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual(["oauthKeys"]);

    const issuer = await startTestIssuer({ audience: AUDIENCE });
    opened.push(issuer);
    const up = await served({ SPACEPAY_OAUTH_ISSUER: issuer.url, SPACEPAY_OAUTH_AUDIENCE: AUDIENCE }, true);
    const ok = await probe(up.http, "readyz");
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.checks?.oauthKeys).toBe(true);
  });

  it("draining: /readyz turns 503 first, and new connections still get probes while other requests get 503", async () => {
    const { http } = await served({});
    expect((await probe(http, "readyz")).status).toBe(200);
    http.stopAccepting();
    const ready = await probe(http, "readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual(["notDraining"]);
    expect((await probe(http, "healthz")).status).toBe(200);
    const mcp = await rawRequest(http.url, MCP_HEADERS, PING);
    expect(mcp.status).toBe(503);
    expect(mcp.text).toMatch(/stopping/);
  });

  it("PostgreSQL down: /readyz 503 naming state, with no URL or password in the body", async () => {
    const pg = await startPostgres();
    let stopped = false;
    try {
      const url = await pg.freshDatabase();
      const { h, http } = await served({ SPACEPAY_DATABASE_URL: url, SPACEPAY_STATE_KEY: STATE_KEY });
      expect(await h.runtime.checkState()).toBeNull();
      expect((await probe(http, "readyz")).status).toBe(200);
      await pg.stop();
      stopped = true;
      const ready = await probe(http, "readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.failing).toEqual(["state"]);
      expect(ready.text).not.toMatch(/postgres:\/\/|test-only-password/);
      expect((await probe(http, "healthz")).status).toBe(200);
    } finally {
      if (!stopped) await pg.stop();
    }
  }, 120_000);
});
