// A Decline racing an Approve on an approval card (issue 21), in one process on SQLite, with the
// withdrawal POST held at the simulator: the Decline is refused and says the withdrawal is being sent,
// the audit has no decline, exactly one withdrawal goes out; a second Approve racing the first gets the
// real outcome (done, replayed), never a second movement.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { APPROVAL_META_KEY, DECIDE_TOOL } from "../../src/server/app-contract.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { withdrawal, withdrawalPosts } from "./helpers.js";

let h: Harness;
let ui: Client;
beforeAll(async () => {
  h = await startHarness({ env: { SPACEPAY_CONFIRM: "auto" } });
  ui = await h.connect(UI_CAPABILITIES);
});
afterAll(() => h?.close());

const structured = (res: unknown) => (res as { structuredContent: Record<string, any> }).structuredContent;
const decide = (handle: string, decision: "approve" | "decline") =>
  ui.callTool({ name: DECIDE_TOOL, arguments: { handle, decision } });

it("a Decline while the approved withdrawal is being sent is refused; one withdrawal; no decline audited", async () => {
  const args = withdrawal();
  const asked = (await ui.callTool({ name: "create_withdrawal", arguments: args })) as any;
  const handle = asked._meta[APPROVAL_META_KEY].handle as string;
  // Identical calls share the one pending card.
  const again = (await ui.callTool({ name: "create_withdrawal", arguments: args })) as any;
  expect(again._meta[APPROVAL_META_KEY].handle).toBe(handle);
  const before = withdrawalPosts(h.sim).length;

  const fault = h.sim.control.addFault({
    kind: "latency",
    method: "POST",
    path: "/**/withdrawals",
    latencyMs: 1_500,
    count: 1,
  });
  const approving = decide(handle, "approve");
  // The Approve has claimed the card once its POST has reached the simulator (held there by the fault).
  await expect.poll(() => withdrawalPosts(h.sim).length, { timeout: 10_000 }).toBe(before + 1);
  const [declined, second] = await Promise.all([decide(handle, "decline"), decide(handle, "approve")]);
  const approved = await approving;
  h.sim.control.clearFaults(fault.id);

  expect(structured(declined).message ?? JSON.stringify(declined)).toMatch(
    /Decline refused: already approved: the withdrawal (is being sent|was sent)/,
  );
  expect(structured(approved)).toMatchObject({ status: "done" });
  // The second approver is told the real outcome: sent once, being sent or done and replayed.
  expect(["done", "in_progress"]).toContain(structured(second).status);
  expect(withdrawalPosts(h.sim)).toHaveLength(before + 1);
  const replayed = await decide(handle, "approve");
  expect(structured(replayed)).toMatchObject({ status: "done", replayed: true });
  expect(withdrawalPosts(h.sim)).toHaveLength(before + 1);

  const audit = JSON.parse(
    ((await h.client.readResource({ uri: "spacepay://audit/recent" })).contents[0] as { text: string }).text,
  ) as Array<Record<string, unknown>>;
  const mine = audit.filter(
    (e) => (e.args as { summary?: { orderId?: string } } | undefined)?.summary?.orderId === args.orderId,
  );
  expect(mine.some((e) => e.outcome === "declined")).toBe(false);
  expect(mine.filter((e) => e.outcome === "refused" && e.rule === "decision")).toHaveLength(1);
  expect(mine.filter((e) => e.outcome === "done")).toHaveLength(1);
}, 30_000);
