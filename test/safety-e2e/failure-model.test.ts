// Issue #11 items 1 and 2, through a real MCP client: a call counts as "not sent" only when no attempt
// can have been processed. Processed, then a 4xx on the client's retry, is "may have gone through"
// (still counted, same key on repeat, one withdrawal upstream); 429 on every attempt is "not sent"
// (reservation released, token used up, the agent told nothing was sent).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { Harness } from "../helpers/mcp-harness.js";
import {
  WITHDRAWALS_PATH,
  startListedHarness,
  textOf,
  withdrawal,
  withdrawalPosts,
  type ToolResult,
} from "./helpers.js";

/** Every status that rejects the request as sent (src/spacepay/errors.ts RejectedError). */
const REJECTED = [400, 401, 403, 404, 405, 413, 415, 422];
const AMOUNT = 3_000;
const CAP = "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS";

let sim: SimulatorHandle;
let opened: Harness[] = [];

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 20 });
});
afterEach(async () => {
  sim.control.clearFaults();
  for (const h of opened) await h.close();
  opened = [];
});
afterAll(() => sim.close());

async function server(env: Record<string, string>): Promise<Harness> {
  const h = await startListedHarness({ sharedSim: sim, env });
  opened.push(h);
  return h;
}

/** SpacePay processes the next withdrawal POST and the connection drops; the retry then gets `status`. */
function processedThenRejected(status: number): void {
  sim.control.addFault({ kind: "reset-after", method: "POST", path: WITHDRAWALS_PATH, count: 1 });
  sim.control.addFault({ kind: "error", status, method: "POST", path: WITHDRAWALS_PATH, count: 1 });
}

describe.each(REJECTED)("processed, then HTTP %i on the client's retry", (status) => {
  it("is reported as may-have-gone-through, still counts against the cap, and repeating replays: one withdrawal", async () => {
    // The cap holds one withdrawal of AMOUNT, not two.
    const h = await server({ [CAP]: String(AMOUNT + 1_000) });
    const before = sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(sim).length;
    const args = withdrawal({ amountInCents: AMOUNT });
    processedThenRejected(status);

    const failed: ToolResult = await h.call("create_withdrawal", args);
    expect(failed.isError).toBe(true);
    const text = textOf(failed);
    expect(text).toMatch(/It may have gone through\./);
    expect(text).toMatch(
      new RegExp(
        `Attempts: 1 \\S+ ECONNRESET \\(may have been processed\\); 2 HTTP ${status} \\(not processed\\)`,
      ),
    );
    expect(text).toMatch(/Repeat the same call unchanged/);
    expect(text).not.toMatch(/Nothing was sent/);
    expect(sim.control.counts().withdrawals).toBe(before + 1);

    // Another withdrawal is refused: the first one still counts.
    const other: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: AMOUNT }));
    expect(other.isError).toBe(true);
    expect(textOf(other)).toContain(`${CAP}=${AMOUNT + 1_000}`);

    const again: ToolResult = await h.call("create_withdrawal", args);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(again.structuredContent.replayed).toBe(true);
    const keys = withdrawalPosts(sim)
      .slice(postsBefore)
      .map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(sim.control.counts().withdrawals).toBe(before + 1);
  });
});

describe("processed, then a 403, confirmed by token", () => {
  it("keeps the token: presenting it again resumes with the same key and SpacePay replays", async () => {
    const h = await server({ SPACEPAY_CONFIRM: "token" });
    const before = sim.control.counts().withdrawals;
    const args = withdrawal({ amountInCents: AMOUNT });
    const ask: ToolResult = await h.call("create_withdrawal", args);
    const confirmed = { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
    processedThenRejected(403);

    const failed: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(textOf(failed)).toMatch(/It may have gone through/);
    const again: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(again.structuredContent.replayed).toBe(true);
    expect(sim.control.counts().withdrawals).toBe(before + 1);
  });
});

describe("429 on every attempt", () => {
  it("is not sent: the agent is told so, the reservation is released and the token used up", async () => {
    // The cap holds exactly one withdrawal: a held reservation would refuse the next one.
    const h = await server({ SPACEPAY_CONFIRM: "token", SPACEPAY_MAX_RETRIES: "1", [CAP]: String(AMOUNT) });
    const before = sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(sim).length;
    const args = withdrawal({ amountInCents: AMOUNT });
    const ask: ToolResult = await h.call("create_withdrawal", args);
    const confirmed = { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
    sim.control.addFault({ kind: "error", status: 429, method: "POST", path: WITHDRAWALS_PATH });

    const failed: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/HTTP 429/);
    expect(textOf(failed)).toMatch(/Nothing was sent: SpacePay processed no attempt of this call/);
    expect(textOf(failed)).not.toMatch(/may have gone through/i);
    expect(withdrawalPosts(sim).length - postsBefore).toBe(2);
    expect(sim.control.counts().withdrawals).toBe(before);
    sim.control.clearFaults();

    const reused: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(reused.isError).toBe(true);
    expect(textOf(reused)).toMatch(/already been used/);

    // The whole cap is free again: a new confirmation goes through.
    const ask2: ToolResult = await h.call("create_withdrawal", args);
    expect(ask2.structuredContent.status, textOf(ask2)).toBe("confirmation_required");
    const done: ToolResult = await h.call("create_withdrawal", {
      ...args,
      confirmationToken: ask2.structuredContent.confirmationToken as string,
    });
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(done.structuredContent.replayed).toBe(false);
    expect(sim.control.counts().withdrawals).toBe(before + 1);
  });
});
