// A Decline racing an Approve on an approval card (issue 21), with the withdrawal POST held at the
// simulator: the Decline is refused and says the withdrawal is being sent (or was sent), the audit has
// no decline, exactly one withdrawal goes out; a second Approve racing the first gets the real outcome
// (done, replayed), never a second movement. In one process on SQLite, across two processes (the built
// server over stdio) sharing a SQLite state directory, and across two HTTP instances (2026-07-28 SDK v2
// clients) sharing PostgreSQL; and in one process after an ambiguous attempt (the POST's answer lost).
import { randomBytes } from "node:crypto";
import type { Client as Client2026 } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import {
  APP_MIME_TYPE,
  APPROVAL_META_KEY,
  DECIDE_TOOL,
  UI_EXTENSION,
} from "../../src/server/app-contract.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { serveHarness } from "../helpers/http-harness.js";
import {
  startHarness,
  useHarness,
  type Harness,
  WITHDRAWALS_PATH,
  textOf,
  type ToolResult,
} from "../helpers/mcp-harness.js";
import { httpClient2026 } from "../helpers/mcp2026.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { spawnOnState, type SpawnedServer } from "../reliability/helpers.js";
import { PG_START_TIMEOUT_MS } from "../safety/backends.js";
import { withdrawal, withdrawalPosts, type WithdrawalArgs } from "./helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

type Structured = Record<string, any>;
type Decide = (handle: string, decision: "approve" | "decline") => Promise<Structured>;

/** What the race needs of a setup: where the card is asked, who approves, who declines, the audit. */
interface RaceSides {
  sim: SimulatorHandle;
  /** Calls create_withdrawal on a client that renders cards; returns the card's handle. */
  ask(args: WithdrawalArgs): Promise<string>;
  approver: Decide;
  decliner: Decide;
  /** spacepay://audit/recent, as either side reads it. */
  audit(): Promise<Array<Record<string, unknown>>>;
}

type CallTool = (name: string, args: Record<string, unknown>) => Promise<unknown>;

/** A v1 SDK client's callTool (2025-era). */
const v1 =
  (client: Client): CallTool =>
  (name, args) =>
    client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 });

/**
 * A client's view of the card, over either SDK: the handle goes to the card only (the result's _meta).
 * `callTool` makes one tools/call; `client` reads the audit resource.
 */
function cardClient(
  callTool: CallTool,
  client: { readResource(params: { uri: string }): Promise<{ contents: unknown[] }> },
) {
  const call = async (name: string, args: Record<string, unknown>) =>
    (await callTool(name, args)) as { structuredContent: Structured; _meta?: Record<string, any> };
  return {
    async ask(args: WithdrawalArgs): Promise<string> {
      const asked = await call("create_withdrawal", args);
      expect(asked.structuredContent.status, JSON.stringify(asked)).toBe("confirmation_required");
      return asked._meta![APPROVAL_META_KEY].handle as string;
    },
    decide: (async (handle, decision) =>
      (await call(DECIDE_TOOL, { handle, decision })).structuredContent) as Decide,
    async audit() {
      const read = await client.readResource({ uri: "spacepay://audit/recent" });
      return JSON.parse((read.contents[0] as { text: string }).text) as Array<Record<string, unknown>>;
    },
  };
}

/** The audit lines of the withdrawal with `orderId`. */
function linesOf(audit: Array<Record<string, unknown>>, orderId: string | undefined) {
  return audit.filter(
    (e) => (e.args as { summary?: { orderId?: string } } | undefined)?.summary?.orderId === orderId,
  );
}

/**
 * The approver approves with its POST held 1.5 s at the simulator; once the POST has arrived there,
 * the decliner declines and approves again at once. Asserts the true answers, the audit and one withdrawal.
 */
async function declineWhileSending(s: RaceSides): Promise<void> {
  const args = withdrawal();
  const handle = await s.ask(args);
  // Identical calls share the one pending card.
  expect(await s.ask(args)).toBe(handle);
  const before = withdrawalPosts(s.sim).length;

  const fault = s.sim.control.addFault({
    kind: "latency",
    method: "POST",
    path: "/**/withdrawals",
    latencyMs: 1_500,
    count: 1,
  });
  const approving = s.approver(handle, "approve");
  // The Approve has claimed the card once its POST has reached the simulator (held there by the fault).
  await expect.poll(() => withdrawalPosts(s.sim).length, { timeout: 10_000 }).toBe(before + 1);
  const [declined, second] = await Promise.all([
    s.decliner(handle, "decline"),
    s.decliner(handle, "approve"),
  ]);
  const approved = await approving;
  s.sim.control.clearFaults(fault.id);

  expect(declined.message ?? JSON.stringify(declined)).toMatch(
    /Decline refused: already approved: the withdrawal (is being sent|was sent)/,
  );
  expect(approved).toMatchObject({ status: "done" });
  // The second approver is told the real outcome: sent once, being sent or done and replayed.
  expect(["done", "in_progress"]).toContain(second.status);
  expect(withdrawalPosts(s.sim)).toHaveLength(before + 1);
  expect(await s.decliner(handle, "approve")).toMatchObject({ status: "done", replayed: true });
  expect(withdrawalPosts(s.sim)).toHaveLength(before + 1);

  const mine = linesOf(await s.audit(), args.orderId);
  expect(mine.some((e) => e.outcome === "declined")).toBe(false);
  expect(mine.filter((e) => e.outcome === "refused" && e.rule === "decision")).toHaveLength(1);
  expect(mine.filter((e) => e.outcome === "done")).toHaveLength(1);
}

describe("in one process on SQLite", () => {
  const h = useHarness({ env: { SPACEPAY_CONFIRM: "auto" } });

  it("a Decline while the approved withdrawal is being sent is refused; one withdrawal; no decline audited", async () => {
    const client = await h.connect(UI_CAPABILITIES);
    const ui = cardClient(v1(client), client);
    await declineWhileSending({ sim: h.sim, ...ui, approver: ui.decide, decliner: ui.decide });
  }, 30_000);
});

describe("across two processes sharing a SQLite state directory", () => {
  let h: Harness;
  let stateDir: string;
  const servers: SpawnedServer[] = [];
  it.beforeAll(async ({ fileDir }) => {
    requireBuild();
    // The harness only for its simulator; the two built servers share their own state directory.
    h = await startHarness();
    stateDir = fileDir;
    const env = { SPACEPAY_CONFIRM: "auto", SPACEPAY_TIMEOUT_MS: "10000", SPACEPAY_LOG_LEVEL: "warn" };
    servers.push(
      ...(await Promise.all([0, 1].map(() => spawnOnState(h.sim, stateDir, env, UI_CAPABILITIES)))),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await h?.close();
  });

  it("process 2's Decline while process 1 sends is refused; one withdrawal; no decline audited", async () => {
    const [one, two] = servers.map((s) => cardClient(v1(s.client), s.client)) as [
      ReturnType<typeof cardClient>,
      ReturnType<typeof cardClient>,
    ];
    await declineWhileSending({
      sim: h.sim,
      ask: one.ask,
      approver: one.decide,
      decliner: two.decide,
      audit: two.audit,
    });
  }, 30_000);
});

describe("across two HTTP instances sharing PostgreSQL", () => {
  const TOKEN = "decline-race-token-0123456789abcdef";
  let sim: SimulatorHandle;
  const clients: Client2026[] = [];
  // What setup started, stopped in reverse order.
  const stops: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    const [postgres, simulator] = await Promise.all([sharedPostgres(), startSimulator({ processingMs: 20 })]);
    sim = simulator;
    stops.push(
      () => postgres.stop(),
      () => simulator.close(),
    );
    const env = {
      SPACEPAY_CONFIRM: "auto",
      SPACEPAY_DATABASE_URL: await postgres.freshDatabase(),
      SPACEPAY_STATE_KEY: randomBytes(32).toString("hex"),
      SPACEPAY_TIMEOUT_MS: "10000",
    };
    // What a host rendering MCP Apps declares (apps-client.ts), written out in the v2 SDK's type.
    const ui = { extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } } };
    for (let i = 0; i < 2; i++) {
      const h = await startHarness({ sharedSim: sim, env });
      stops.push(() => h.close());
      const http = await serveHarness(h, { token: TOKEN });
      stops.push(() => http.close());
      const client = await httpClient2026(http.url, { authorization: `Bearer ${TOKEN}` }, ui);
      stops.push(() => client.close());
      clients.push(client);
    }
  }, PG_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  }, PG_START_TIMEOUT_MS);

  it("instance B's Decline while instance A sends is refused; one withdrawal; no decline audited", async () => {
    const [a, b] = clients.map((c) =>
      cardClient((name, args) => c.callTool({ name, arguments: args }, { timeout: 30_000 }), c),
    ) as [ReturnType<typeof cardClient>, ReturnType<typeof cardClient>];
    await declineWhileSending({ sim, ask: a.ask, approver: a.decide, decliner: b.decide, audit: b.audit });
  }, 30_000);
});

describe("in one process after an ambiguous attempt", () => {
  let h: Harness;
  beforeAll(async () => {
    // No client retries: a lost answer leaves the outcome unknown (SPACEPAY_TIMEOUT_MS is 2 s here).
    h = await startHarness({ env: { SPACEPAY_CONFIRM: "auto", SPACEPAY_MAX_RETRIES: "0" } });
  });
  afterAll(() => h?.close());

  it("a Decline during and after an approved POST whose answer was lost is refused; the repeat resumes its key: one withdrawal", async () => {
    const client = await h.connect(UI_CAPABILITIES);
    const ui = cardClient(v1(client), client);
    const args = withdrawal();
    const handle = await ui.ask(args);
    const before = { posts: withdrawalPosts(h.sim).length, withdrawals: h.sim.control.counts().withdrawals };

    // SpacePay processes the POST, then its answer never comes.
    h.sim.control.addFault({ kind: "hang-after", method: "POST", path: WITHDRAWALS_PATH, count: 1 });
    const approving = v1(client)(DECIDE_TOOL, { handle, decision: "approve" }) as Promise<ToolResult>;
    await expect.poll(() => withdrawalPosts(h.sim).length, { timeout: 10_000 }).toBe(before.posts + 1);
    const during = await ui.decide(handle, "decline");
    const lost = await approving;
    expect(textOf(lost)).toMatch(/may have gone through/);
    const after = await ui.decide(handle, "decline");
    expect(during.message ?? JSON.stringify(during)).toMatch(
      /Decline refused: already approved: the withdrawal (is being sent|was sent)/,
    );
    // Nothing is in flight any more, and nobody knows yet whether it moved: said so, never "being sent".
    expect(after.message ?? JSON.stringify(after)).toMatch(
      /Decline refused: already approved: the withdrawal may have been sent \(its outcome is not known yet\)/,
    );
    expect(h.sim.control.counts().withdrawals).toBe(before.withdrawals + 1);

    // The repeat resumes with the key of the lost attempt: SpacePay answers with that withdrawal.
    expect(await ui.decide(handle, "approve")).toMatchObject({ status: "done" });
    const posts = withdrawalPosts(h.sim).slice(before.posts);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers["idempotency-key"]).toBe(posts[0]!.headers["idempotency-key"]);
    // And the model's identical repeat is that answer again, with nothing sent.
    const again = (await v1(client)("create_withdrawal", args)) as { structuredContent: Structured };
    expect(again.structuredContent).toMatchObject({ status: "done", replayed: true });
    expect(withdrawalPosts(h.sim)).toHaveLength(before.posts + 2);
    expect(h.sim.control.counts().withdrawals).toBe(before.withdrawals + 1);

    const mine = linesOf(await ui.audit(), args.orderId);
    expect(mine.some((e) => e.outcome === "declined")).toBe(false);
    expect(mine.filter((e) => e.outcome === "refused" && e.rule === "decision")).toHaveLength(2);
    expect(mine.filter((e) => e.outcome === "done")).toHaveLength(1);
  }, 30_000);
});
