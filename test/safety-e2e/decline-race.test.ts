// A Decline racing an Approve on an approval card (issue 21), with the withdrawal POST held at the
// simulator: the Decline is refused and says the withdrawal is being sent (or was sent), the audit has
// no decline, exactly one withdrawal goes out; a second Approve racing the first gets the real outcome
// (done, replayed), never a second movement. In one process on SQLite, and across two processes (the
// built server over stdio) sharing a SQLite state directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPROVAL_META_KEY, DECIDE_TOOL } from "../../src/server/app-contract.js";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { spawnOnState, type SpawnedServer } from "../reliability/helpers.js";
import { requireBuiltCli, withdrawal, withdrawalPosts, type WithdrawalArgs } from "./helpers.js";

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

/** An MCP client's view of the card: the handle goes to the card only (the result's _meta). */
function cardClient(client: Pick<Client, "callTool" | "readResource">) {
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 })) as {
      structuredContent: Structured;
      _meta?: Record<string, any>;
    };
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
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { SPACEPAY_CONFIRM: "auto" } });
  });
  afterAll(() => h?.close());

  it("a Decline while the approved withdrawal is being sent is refused; one withdrawal; no decline audited", async () => {
    const ui = cardClient(await h.connect(UI_CAPABILITIES));
    await declineWhileSending({ sim: h.sim, ...ui, approver: ui.decide, decliner: ui.decide });
  }, 30_000);
});

describe("across two processes sharing a SQLite state directory", () => {
  let h: Harness;
  let stateDir: string;
  const servers: SpawnedServer[] = [];
  beforeAll(async () => {
    requireBuiltCli();
    // The harness only for its simulator; the two built servers share their own state directory.
    h = await startHarness();
    stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-decline-race-"));
    const env = { SPACEPAY_CONFIRM: "auto", SPACEPAY_TIMEOUT_MS: "10000", SPACEPAY_LOG_LEVEL: "warn" };
    servers.push(
      ...(await Promise.all([0, 1].map(() => spawnOnState(h.sim, stateDir, env, UI_CAPABILITIES)))),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await h?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("process 2's Decline while process 1 sends is refused; one withdrawal; no decline audited", async () => {
    const [one, two] = servers.map((s) => cardClient(s.client)) as [
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
