// The order index backfill across process deaths and instances, on the built HTTP server (the backfill
// starts once it listens), counting the list pages the simulator serves (offsets of 1,000):
// - a SIGKILL mid-backfill (SQLite): the restarted server resumes at the page it was reading, never
//   from the start;
// - two instances on one PostgreSQL: the history is read once (one advisory lock), not twice.
// Each list page is slowed at the simulator, so the kill and the second instance land mid-backfill.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { requireBuild, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";
import { builtServerEnv, type BuiltServerEnv } from "../helpers/mcp2026.js";
import { PAYMENTS_PATH } from "../helpers/mcp-harness.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import type { TestPostgres } from "../helpers/postgres.js";
import { PG_START_TIMEOUT_MS } from "../safety/backends.js";
import { waitFor } from "../reliability/helpers.js";
import { eventually } from "../webhooks/harness.js";

const TOKEN = "order-index-backfill-bearer-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** Five pages of history. */
const MERCHANT_SIZE = 5_000;
/** Each list page takes this long at the simulator. */
const PAGE_MS = 400;

let sim: SimulatorHandle;
const started: Array<{ server: HttpServer; client?: Client }> = [];
const envs: BuiltServerEnv[] = [];

beforeAll(async () => {
  requireBuild();
  sim = await startSimulator({ samplePayments: MERCHANT_SIZE, seed: 31 });
  sim.control.addFault({ kind: "latency", method: "GET", path: PAYMENTS_PATH, latencyMs: PAGE_MS });
}, 60_000);

afterEach(async () => {
  for (const s of started.splice(0)) {
    await s.client?.close().catch(() => {});
    await s.server.stop();
  }
  for (const e of envs.splice(0)) e.remove();
});
afterAll(async () => sim?.close());

/** The offsets of the backfill's list pages the simulator was asked for, in order, from `from` on. */
function pages(from = 0): number[] {
  return sim.control
    .requests({ method: "GET", path: PAYMENTS_PATH })
    .slice(from)
    .map((r) => Number(r.query.offset ?? 0));
}

async function serve(env: Record<string, string>): Promise<HttpServer> {
  const server = await startHttpServer(env);
  started.push({ server });
  return server;
}

/** spacepay://account's index, read over MCP. */
async function indexOf(server: HttpServer): Promise<{ payments: number; complete: boolean }> {
  const entry = started.find((s) => s.server === server)!;
  if (!entry.client) {
    entry.client = new Client({ name: "backfill-test", version: "1" });
    await entry.client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: AUTH } }),
    );
  }
  const read = await entry.client.readResource({ uri: "spacepay://account" });
  return JSON.parse((read.contents[0] as { text: string }).text).index;
}

it("a SIGKILL mid-backfill: the restarted server resumes at the page it was reading", async () => {
  sim.control.clearRequests();
  const env = builtServerEnv(sim.url, { PATH: process.env.PATH ?? "", SPACEPAY_MCP_HTTP_TOKEN: TOKEN });
  envs.push(env);
  const first = await serve(env.env);
  // Killed while the third page is in flight: two pages are recorded, with the cursor after them.
  await waitFor(() => pages().includes(2000), 20_000, "the third page asked for");
  first.child.kill("SIGKILL");
  await new Promise<void>((resolve) =>
    first.child.exitCode !== null || first.child.signalCode !== null
      ? resolve()
      : first.child.once("exit", () => resolve()),
  );
  expect(pages()).toEqual([0, 1000, 2000]);

  const before = pages().length;
  const second = await serve(env.env);
  const index = await eventually(
    () => indexOf(second),
    (i) => i.complete,
    "the backfill complete",
  );
  expect(index).toMatchObject({ payments: MERCHANT_SIZE, complete: true });
  // From the cursor: the page cut off is read again, none before it.
  expect(pages(before)).toEqual([2000, 3000, 4000]);
}, 60_000);

let postgres: TestPostgres | undefined;
afterAll(async () => postgres?.stop(), PG_START_TIMEOUT_MS);

it(
  "two instances on one PostgreSQL backfill once, not twice",
  async () => {
    postgres = await sharedPostgres();
    const databaseUrl = await postgres.freshDatabase();
    const shared = {
      PATH: process.env.PATH ?? "",
      SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
      SPACEPAY_DATABASE_URL: databaseUrl,
      SPACEPAY_STATE_KEY: randomBytes(32).toString("hex"),
    };
    sim.control.clearRequests();
    // Slower pages: the two starts, each a few hundred ms on a busy machine, land well within the read.
    sim.control.clearFaults();
    sim.control.addFault({ kind: "latency", method: "GET", path: PAYMENTS_PATH, latencyMs: 2 * PAGE_MS });
    const a = builtServerEnv(sim.url, shared);
    const b = builtServerEnv(sim.url, shared);
    envs.push(a, b);
    const [one, two] = await Promise.all([serve(a.env), serve(b.env)]);
    // Both are up while the history is still being read (five slowed pages): they overlap.
    expect(pages().length).toBeLessThan(5);
    await eventually(
      async () => [await indexOf(one), await indexOf(two)],
      (both) => both.some((i) => i.complete),
      "one instance's backfill complete",
    );
    // Each page once, by whichever instance holds the lock.
    expect(pages()).toEqual([0, 1000, 2000, 3000, 4000]);
  },
  PG_START_TIMEOUT_MS,
);
