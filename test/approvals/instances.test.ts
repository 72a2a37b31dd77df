// Approvals on PostgreSQL behind two HTTP instances: `approvers add` only prints the link (the running
// instances serve it), a passkey registered on one instance's page approves on the other's, and the
// pages keep the HTTP edge's Host check.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { openState, type StateStore } from "../../src/safety/index.js";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { startSimulator, DEFAULT_SECRET_KEY, type SimulatorHandle } from "../../src/simulator/index.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, launch } from "../apps/host.js";
import { rawRequest, serveHarness } from "../helpers/http-harness.js";
import { startHarness, RECIPIENT, BASE_SEPOLIA, type Harness } from "../helpers/mcp-harness.js";
import { freePort, type TestPostgres } from "../helpers/postgres.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { PG_START_TIMEOUT_MS } from "../safety/backends.js";
import { keepCredentials, person, press, type Person } from "./browser.js";
import { approversCli } from "./enroll.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

const STATE_KEY = randomBytes(32).toString("hex");

describe.skipIf(!HAVE_CHROMIUM)("passkey approvals on two HTTP instances sharing PostgreSQL", () => {
  let postgres: TestPostgres;
  let sim: SimulatorHandle;
  let browser: Browser;
  let databaseUrl: string;
  const instances: Array<{ h: Harness; http: RunningHttp; base: string }> = [];
  let state: StateStore;
  const people: Person[] = [];
  let ada: Person;

  beforeAll(async () => {
    [postgres, sim, browser] = await Promise.all([
      sharedPostgres(),
      startSimulator({ processingMs: 20 }),
      launch(),
    ]);
    databaseUrl = await postgres.freshDatabase();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const base = `http://localhost:${port}`;
      const h = await startHarness({
        sharedSim: sim,
        env: {
          SPACEPAY_DATABASE_URL: databaseUrl,
          SPACEPAY_STATE_KEY: STATE_KEY,
          SPACEPAY_PUBLIC_URL: base,
          SPACEPAY_APPROVAL: "passkey",
        },
      });
      instances.push({ h, http: await serveHarness(h, { port, token: "t".repeat(32) }), base });
    }
    state = await openState({
      stateDir: "/nonexistent",
      databaseUrl,
      stateKey: Buffer.from(STATE_KEY, "hex"),
    });
  }, PG_START_TIMEOUT_MS);

  afterAll(async () => {
    for (const p of people) await p.close();
    await browser?.close();
    await state?.close();
    for (const { h, http } of instances) {
      await http.close();
      await h.close();
    }
    await sim?.close();
    await postgres?.stop();
  }, PG_START_TIMEOUT_MS);

  it("enrolls through a link served by the instances, and approves on the other instance's page", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const env = {
      PATH: process.env.PATH ?? "",
      SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_DATABASE_URL: databaseUrl,
      SPACEPAY_STATE_KEY: STATE_KEY,
      SPACEPAY_PUBLIC_URL: a.base,
      SPACEPAY_LOG_LEVEL: "warn",
    };
    // Exits at once: the link is on the public URL, served by whichever instance the person reaches.
    const added = await approversCli(["add", "Ada"], env);
    expect(added.code, added.stderr).toBe(0);
    const link = added.stdout.trim();
    expect(link).toMatch(new RegExp(`^${a.base}/approvals/enroll/[\\w-]{22}$`));

    ada = person(browser);
    people.push(ada);
    const enrollPage = await ada.open(link.replace(a.base, b.base));
    expect(await press(enrollPage, "Register passkey")).toMatchObject({ ok: true });
    await keepCredentials(enrollPage, ada);
    const listed = await approversCli(["list"], env);
    expect(listed.stdout).toMatch(/\nAda\s+-\s+1\s/);

    const approval = await state.approvals.open({
      identity: "call-on-a",
      tool: "create_withdrawal",
      caller: null,
      mode: "test",
      idempotencyKey: "key-a",
      summary: {
        action: "create_withdrawal",
        amountInCents: 2000,
        currency: "USD",
        chainId: BASE_SEPOLIA,
        recipientAddress: RECIPIENT,
      },
      needed: 1,
      now: new Date(),
      ttlMs: 600_000,
    });
    const page = await ada.open(`${a.base}/approvals/${approval.id}`);
    expect(await press(page, "Approve")).toEqual({
      ok: true,
      text: "Approved by Ada. The agent completes the call.",
    });
    expect((await state.approvals.get(approval.id))?.state).toBe("approved");
  });

  it("a withdrawal asked on instance A is approved on instance B's page and sent once", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const args = {
      amountInCents: 3_000,
      chainId: BASE_SEPOLIA,
      recipientAddress: RECIPIENT,
      orderId: `two-instances-${process.pid}`,
    };
    const before = sim.control.counts().withdrawals;
    const asked = await a.h.call("create_withdrawal", args);
    expect(asked.structuredContent).toMatchObject({ status: "approval_required", approvalsNeeded: 1 });
    const link = asked.structuredContent.approvalUrl as string;
    expect(link.startsWith(`${a.base}/approvals/`)).toBe(true);
    // The person's browser reaches the other instance (a load balancer's choice).
    const page = await ada.open(link.replace(a.base, b.base));
    expect(await press(page, "Approve")).toMatchObject({ ok: true });
    expect(sim.control.counts().withdrawals).toBe(before);
    expect((await a.h.call("create_withdrawal", args)).structuredContent.status).toBe("done");
    expect((await b.h.call("create_withdrawal", args)).structuredContent).toMatchObject({
      status: "done",
      replayed: true,
    });
    expect(sim.control.counts().withdrawals).toBe(before + 1);
  });

  it("the pages need no bearer token but keep the Host check", async () => {
    const [a] = instances;
    const url = `${a!.base}/approvals/unknown`;
    expect((await rawRequest(url, { host: new URL(a!.base).host })).status).toBe(404);
    expect((await rawRequest(url, { host: "evil.example" })).status).toBe(403);
    // The MCP endpoint still wants its token.
    expect((await rawRequest(`${a!.base}/mcp`, { host: new URL(a!.base).host }, {})).status).toBe(401);
  });
});
