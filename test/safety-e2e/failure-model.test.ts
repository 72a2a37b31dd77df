// Issue #11 items 1 and 2, through a real MCP client: a call counts as "not sent" only when no attempt
// can have been processed. Processed, then a 4xx on the client's retry, is "may have gone through"
// (still counted, same key on repeat, one withdrawal upstream); 429 on every attempt is "not sent"
// (reservation released, token used up, the agent told nothing was sent).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { STATE_FILE } from "../../src/safety/index.js";
import type { Harness } from "../helpers/mcp-harness.js";
import { reachesNothing, uniqueOrder, withdrawal, withdrawalPosts, useSharedSimulator } from "./helpers.js";
import { WITHDRAWALS_PATH, textOf, type ToolResult } from "../helpers/mcp-harness.js";

/** Every status that rejects the request as sent (src/spacepay/errors.ts RejectedError). */
const REJECTED = [400, 401, 403, 404, 405, 413, 415, 422];
const AMOUNT = 3_000;
const CAP = "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS";

const e2e = useSharedSimulator();
const server = (env: Record<string, string>) => e2e.open({ env });

/** SpacePay processes the next withdrawal POST and the connection drops; the retry then gets `status`. */
function processedThenRejected(status: number): void {
  e2e.sim.control.addFault({ kind: "reset-after", method: "POST", path: WITHDRAWALS_PATH, count: 1 });
  e2e.sim.control.addFault({ kind: "error", status, method: "POST", path: WITHDRAWALS_PATH, count: 1 });
}

describe.each(REJECTED)("processed, then HTTP %i on the client's retry", (status) => {
  it("is reported as may-have-gone-through, still counts against the cap, and repeating replays: one withdrawal", async () => {
    // The cap holds one withdrawal of AMOUNT, not two.
    const h = await server({ [CAP]: String(AMOUNT + 1_000) });
    const before = e2e.sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(e2e.sim).length;
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
    expect(text).toMatch(/Repeat the identical call/);
    expect(text).not.toMatch(/Nothing was sent/);
    // The same, structured, for a model that reads only structuredContent.
    expect(failed.structuredContent).toMatchObject({
      status: "failed",
      mayHaveGoneThrough: true,
      message: expect.stringMatching(/^It may have gone through\./),
    });
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);

    // Another withdrawal is refused: the first one still counts.
    const other: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: AMOUNT }));
    expect(other.isError).toBe(true);
    expect(textOf(other)).toContain(`${CAP}=${AMOUNT + 1_000}`);

    const again: ToolResult = await h.call("create_withdrawal", args);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(again.structuredContent.replayed).toBe(true);
    const keys = withdrawalPosts(e2e.sim)
      .slice(postsBefore)
      .map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });
});

describe("processed, then a 403, confirmed by token", () => {
  it("keeps the token: presenting it again resumes with the same key and SpacePay replays", async () => {
    const h = await server({ SPACEPAY_CONFIRM: "token" });
    const before = e2e.sim.control.counts().withdrawals;
    const args = withdrawal({ amountInCents: AMOUNT });
    const ask: ToolResult = await h.call("create_withdrawal", args);
    const confirmed = { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
    processedThenRejected(403);

    const failed: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(textOf(failed)).toMatch(/It may have gone through/);
    const again: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(again.structuredContent.replayed).toBe(true);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });
});

describe("429 on every attempt", () => {
  it("is not sent: the agent is told so, the reservation is released and the token used up", async () => {
    // The cap holds exactly one withdrawal: a held reservation would refuse the next one.
    const h = await server({ SPACEPAY_CONFIRM: "token", SPACEPAY_MAX_RETRIES: "1", [CAP]: String(AMOUNT) });
    const before = e2e.sim.control.counts().withdrawals;
    const postsBefore = withdrawalPosts(e2e.sim).length;
    const args = withdrawal({ amountInCents: AMOUNT });
    const ask: ToolResult = await h.call("create_withdrawal", args);
    const confirmed = { ...args, confirmationToken: ask.structuredContent.confirmationToken as string };
    e2e.sim.control.addFault({ kind: "error", status: 429, method: "POST", path: WITHDRAWALS_PATH });

    const failed: ToolResult = await h.call("create_withdrawal", confirmed);
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/HTTP 429/);
    expect(textOf(failed)).toMatch(/Nothing was sent: SpacePay processed no attempt of this call/);
    expect(textOf(failed)).not.toMatch(/may have gone through/i);
    expect(failed.structuredContent).toMatchObject({ status: "failed", mayHaveGoneThrough: false });
    expect(withdrawalPosts(e2e.sim).length - postsBefore).toBe(2);
    expect(e2e.sim.control.counts().withdrawals).toBe(before);
    e2e.sim.control.clearFaults();

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
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });
});

// Item 10: "repeat the same call unchanged" only where repeating resumes with the same key; a
// failure that provably sent nothing says so.
describe("honest next steps", () => {
  it("corrupt state: the money call says nothing was sent, and nothing reached SpacePay", async ({
    stateDir: dir,
  }) => {
    let h: Harness | undefined;
    try {
      writeFileSync(path.join(dir, STATE_FILE), "this is not a SQLite database, it is garbage ".repeat(200));
      h = await e2e.open({ stateDir: dir, env: {} });
      const res: ToolResult = await reachesNothing(e2e.sim, () =>
        h!.call("create_withdrawal", withdrawal({ amountInCents: AMOUNT })),
      );
      expect(res.isError).toBe(true);
      // Refused before the guard (src/runtime.ts) or stopped inside it: either way, said to send nothing.
      expect(textOf(res)).toMatch(/[Nn]othing was sent/);
      expect(textOf(res)).not.toMatch(/may have gone through|Repeat the identical call/i);
    } finally {
      if (h) await e2e.stop(h);
    }
  });

  it("absurdly nested metadata is refused naming the field; nothing was sent", async () => {
    const h = await server({});
    let nested: Record<string, unknown> = {};
    for (let i = 0; i < 50_000; i++) nested = { n: nested };
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: AMOUNT, customMetadata: nested })),
    );
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/`customMetadata`: cannot be serialised/);
    expect(textOf(res)).toMatch(/Nothing was done/);
    expect(textOf(res)).not.toMatch(/may have gone through/i);
  });

  it("the same invoice with other metadata and redirectUrl: names the fields and the two ways on", async () => {
    const h = await server({});
    const orderId = uniqueOrder("inv-409");
    const first: ToolResult = await h.call("create_payment", {
      amountInCents: 4_200,
      orderId,
      customMetadata: { cart: 1 },
    });
    expect(first.isError, textOf(first)).toBeFalsy();
    const before = e2e.sim.control.counts().payments;

    const other: ToolResult = await h.call("create_payment", {
      amountInCents: 4_200,
      orderId,
      customMetadata: { cart: 2 },
      redirectUrl: "https://shop.example/thanks",
    });
    expect(other.isError).toBe(true);
    const text = textOf(other);
    expect(other.structuredContent).toMatchObject({
      status: "refused",
      differs: ["customMetadata", "redirectUrl"],
    });
    expect(text).toContain('customMetadata (first "{\\"cart\\":1}", now "{\\"cart\\":2}")');
    expect(text).toContain('redirectUrl (first absent, now "https://shop.example/thanks")');
    expect(text).toMatch(/with a new orderId/);
    expect(text).toContain(`list_payments with search ${JSON.stringify(orderId)}`);
    expect(text).not.toMatch(/may have gone through|Repeat the identical call|Wait a few seconds/i);
    expect(e2e.sim.control.counts().payments).toBe(before);
  });
});
