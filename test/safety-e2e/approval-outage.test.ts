// A person presses Approve on an approval card while the PostgreSQL state is down: they are told the
// database refusal every money call gets then (naming SPACEPAY_DATABASE_URL, never its URL or
// password), not that the approval is unknown, and nothing is sent. Once the database is back, the
// same card still approves, exactly once. The outage is a loopback TCP proxy the test cuts.
import { randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { APPROVAL_META_KEY, DECIDE_TOOL } from "../../src/server/app-contract.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT, startHarness, textOf, type Harness } from "../helpers/mcp-harness.js";
import { freePort, type TestPostgres } from "../helpers/postgres.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { PG_START_TIMEOUT_MS } from "../safety/backends.js";
import { withdrawalPosts } from "./helpers.js";

const STATE_KEY = randomBytes(32).toString("hex");
let seq = 0;
const withdrawal = () => ({
  amountInCents: 1_000,
  chainId: "base-sepolia",
  recipientAddress: RECIPIENT,
  orderId: `outage-${++seq}`,
});

/** A TCP proxy to `port` on loopback that can be cut (listener closed, every connection dropped) and restored. */
function tcpProxy(port: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let listening = 0;
  const open = (on = 0) =>
    new Promise<number>((resolve, reject) => {
      server = net.createServer((downstream) => {
        const upstream = net.connect(port, "127.0.0.1");
        const drop = () => {
          for (const s of [downstream, upstream]) {
            s.destroy();
            sockets.delete(s);
          }
        };
        for (const s of [downstream, upstream]) {
          sockets.add(s);
          s.on("error", drop).on("close", drop);
        }
        downstream.pipe(upstream).pipe(downstream);
      });
      server.once("error", reject);
      server.listen(on, "127.0.0.1", () => resolve((listening = (server!.address() as AddressInfo).port)));
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  return { open, cut, restore: () => open(listening) };
}

let sim: SimulatorHandle;
const harnesses: Harness[] = [];
beforeAll(async () => {
  sim = await startSimulator({ processingMs: 20 });
});
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});
afterAll(async () => {
  await sim?.close();
});

async function server(databaseUrl: string): Promise<{ h: Harness; ui: Client }> {
  const h = await startHarness({
    sharedSim: sim,
    env: {
      SPACEPAY_CONFIRM: "auto",
      SPACEPAY_DATABASE_URL: databaseUrl,
      SPACEPAY_STATE_KEY: STATE_KEY,
      SPACEPAY_LOG_LEVEL: "error",
    },
  });
  harnesses.push(h);
  return { h, ui: await h.connect(UI_CAPABILITIES) };
}

async function approve(ui: Client, handle: string) {
  return (await ui.callTool({ name: DECIDE_TOOL, arguments: { handle, decision: "approve" } })) as {
    isError?: boolean;
    content: Array<{ type: string; text?: string }>;
    structuredContent?: Record<string, unknown>;
  };
}

/** The database refusal, as a money call during an outage gets it, and nothing of the URL. */
function expectDatabaseRefusal(res: Awaited<ReturnType<typeof approve>>, databaseUrl: string) {
  expect(res.isError).toBe(true);
  expect(res.structuredContent).toMatchObject({ status: "refused", rule: "SPACEPAY_DATABASE_URL" });
  expect(textOf(res as never)).toMatch(/PostgreSQL[^]*Nothing was sent/);
  expect(textOf(res as never)).not.toMatch(/not recognised/);
  const url = new URL(databaseUrl);
  for (const leak of [databaseUrl, url.password, url.host]) expect(JSON.stringify(res)).not.toContain(leak);
}

describe("decide_approval while the database is down", () => {
  it("never reached: the person is told the database refusal, not that the approval is unknown", async () => {
    // A handle from another instance on the same database; this one cannot open the state at all.
    const databaseUrl = `postgres://spacepay:pw-never-shown@127.0.0.1:${await freePort()}/nowhere`;
    const { ui } = await server(databaseUrl);
    const before = withdrawalPosts(sim).length;
    expectDatabaseRefusal(await approve(ui, "apv_issued_elsewhere"), databaseUrl);
    expect(withdrawalPosts(sim)).toHaveLength(before);
  });

  describe("lost after the card was shown", () => {
    let postgres: TestPostgres;
    beforeAll(async () => {
      postgres = await sharedPostgres();
    }, PG_START_TIMEOUT_MS);
    afterAll(async () => {
      await postgres?.stop();
    }, PG_START_TIMEOUT_MS);

    it("refuses naming the database and sends nothing; once it is back, the same card approves once", async () => {
      const direct = new URL(await postgres.freshDatabase());
      const proxy = tcpProxy(Number(direct.port));
      const viaProxy = new URL(direct);
      viaProxy.port = String(await proxy.open());
      const databaseUrl = viaProxy.toString();
      try {
        const { ui } = await server(databaseUrl);
        const before = withdrawalPosts(sim).length;
        const asked = (await ui.callTool({ name: "create_withdrawal", arguments: withdrawal() })) as {
          _meta?: Record<string, { handle?: string }>;
          structuredContent?: Record<string, unknown>;
        };
        expect(asked.structuredContent?.status).toBe("confirmation_required");
        const handle = asked._meta?.[APPROVAL_META_KEY]?.handle as string;
        expect(handle).toMatch(/^apv_/);

        await proxy.cut();
        expectDatabaseRefusal(await approve(ui, handle), databaseUrl);
        expect(withdrawalPosts(sim)).toHaveLength(before);

        await proxy.restore();
        const done = await approve(ui, handle);
        expect(done.structuredContent?.status, textOf(done as never)).toBe("done");
        expect(withdrawalPosts(sim)).toHaveLength(before + 1);
      } finally {
        await proxy.cut();
      }
    }, 60_000);
  });
});
