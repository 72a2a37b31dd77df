// The guard end to end: confirmation by elicitation through a real MCP client whose human is scripted
// (accept, decline, cancel, never answering), in elicitation and auto modes, test and live keys.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import {
  RECIPIENT,
  type HarnessOptions,
  BASE_SEPOLIA,
  textOf,
  type ToolResult,
} from "../helpers/mcp-harness.js";
import {
  CAN_ELICIT,
  accept,
  cancel,
  decline,
  neverAnswer,
  reachesNothing,
  scriptElicitation,
  withdrawal,
  withdrawalPosts,
  type ElicitScript,
  useSharedSimulator,
} from "./helpers.js";

const e2e = useSharedSimulator();
let liveSim: SimulatorHandle;

beforeAll(async () => {
  liveSim = await startSimulator({ processingMs: 20, secretKey: "sk_live_e2e_elicitation" });
});
afterAll(() => liveSim?.close());

/** A server in `confirm` mode whose client can elicit and answers with `script`. */
async function server(script: ElicitScript, env: Record<string, string> = {}, opts: HarnessOptions = {}) {
  const h = await e2e.open({
    capabilities: CAN_ELICIT,
    ...opts,
    env: { SPACEPAY_CONFIRM: "elicitation", ...env },
  });
  return { h, human: scriptElicitation(h.client, script) };
}

describe("accept", () => {
  it("asks once with amount in dollars, recipient, chain and test mode, then withdraws once", async () => {
    const { h, human } = await server(accept);
    const before = e2e.sim.control.counts().withdrawals;
    const res: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 12_345 }));

    expect(res.isError).toBeFalsy();
    expect(human.prompts).toHaveLength(1);
    const prompt = human.prompts[0]!;
    expect(prompt.message).toContain("$123.45");
    expect(prompt.message).toContain(RECIPIENT);
    expect(prompt.message).toContain(BASE_SEPOLIA);
    expect(prompt.message).toMatch(/TEST mode/);
    expect(prompt.message).not.toMatch(/LIVE/);
    // A form with one required boolean and no default: nothing is pre-approved.
    expect(prompt.mode ?? "form").toBe("form");
    if (!("requestedSchema" in prompt)) throw new Error("not a form elicitation");
    const schema = prompt.requestedSchema as { required: string[]; properties: Record<string, any> };
    expect(schema.required).toEqual(["confirm"]);
    expect(schema.properties.confirm.type).toBe("boolean");
    expect(schema.properties.confirm.default).toBeUndefined();

    expect(res.structuredContent.status).toBe("done");
    expect(res.structuredContent.mode).toBe("test");
    expect(res.structuredContent.confirmation.by).toBe("elicitation");
    expect(res.structuredContent.withdrawal.amount).toBe("$123.45");
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });

  it("a payment prompt names the amount, the order and the mode", async () => {
    const { h, human } = await server(accept);
    const res: ToolResult = await h.call("create_payment", { amountInCents: 2_500, orderId: "elicit-pay-1" });
    expect(res.isError).toBeFalsy();
    expect(human.prompts).toHaveLength(1);
    expect(human.prompts[0]!.message).toContain("$25.00");
    expect(human.prompts[0]!.message).toContain("elicit-pay-1");
    expect(human.prompts[0]!.message).toMatch(/TEST mode/);
    expect(e2e.sim.control.getPayment(res.structuredContent.payment.id)).toBeDefined();
  });

  it("with a live key the prompt says LIVE, real money", async () => {
    const { h, human } = await server(
      decline,
      { SPACEPAY_SECRET_KEY: "sk_live_e2e_elicitation", SPACEPAY_ALLOW_LIVE_WITHDRAWALS: "true" },
      { sharedSim: liveSim },
    );
    const res: ToolResult = await reachesNothing(liveSim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: 7_500 })),
    );
    expect(human.prompts).toHaveLength(1);
    expect(human.prompts[0]!.message).toContain("$75.00");
    expect(human.prompts[0]!.message).toMatch(/LIVE: real money/);
    expect(human.prompts[0]!.message).not.toMatch(/TEST mode/);
    expect(res.structuredContent.mode).toBe("live");
  });
});

describe("decline and cancel", () => {
  for (const [name, script, said, status] of [
    ["declines", decline, /declined/, "declined"],
    ["cancels", cancel, /cancelled/, "cancelled"],
    [
      "accepts without ticking confirm",
      (() => ({ action: "accept", content: { confirm: false } })) as ElicitScript,
      /did not tick confirm/,
      "declined",
    ],
  ] as const) {
    it(`when the user ${name}: a non-error result saying nothing was done, and no API call`, async () => {
      const { h, human } = await server(script);
      const postsBefore = withdrawalPosts(e2e.sim).length;
      const res: ToolResult = await reachesNothing(e2e.sim, () => h.call("create_withdrawal", withdrawal()));

      expect(human.prompts).toHaveLength(1);
      expect(res.isError).toBeFalsy();
      expect(res.structuredContent.status).toBe(status);
      expect(res.structuredContent.summary.amount).toBe("$50.00");
      expect(textOf(res)).toMatch(said);
      expect(textOf(res)).toMatch(/Nothing was done: no withdrawal was created/);
      expect(withdrawalPosts(e2e.sim)).toHaveLength(postsBefore);
      // The audit trail says the same as the result.
      const audit = readFileSync(path.join(h.stateDir, "audit.jsonl"), "utf8").trim().split("\n");
      expect(JSON.parse(audit.at(-1)!).outcome).toBe(status);
    });
  }

  it("a declined payment is not created either", async () => {
    const { h } = await server(decline, { SPACEPAY_CONFIRM: "auto" });
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_payment", { amountInCents: 4_000, orderId: "elicit-decline-pay" }),
    );
    expect(res.isError).toBeFalsy();
    expect(textOf(res)).toMatch(/no payment was created/);
  });
});

describe("no answer", () => {
  it("in elicitation mode, a timeout is a refusal and nothing is sent", async () => {
    const { h, human } = await server(neverAnswer, { SPACEPAY_CONFIRM_TIMEOUT_MS: "1000" });
    const started = Date.now();
    const res: ToolResult = await reachesNothing(e2e.sim, () => h.call("create_withdrawal", withdrawal()));
    const took = Date.now() - started;

    expect(human.prompts).toHaveLength(1);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(8_000);
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/timed out/);
    expect(textOf(res)).toMatch(/Nothing was sent/);
    expect(textOf(res)).not.toMatch(/confirmationToken/);
  });

  it("in auto mode, a timeout falls back to a token, which then works once", async () => {
    const { h, human } = await server(neverAnswer, {
      SPACEPAY_CONFIRM: "auto",
      SPACEPAY_CONFIRM_TIMEOUT_MS: "1000",
    });
    const args = withdrawal({ amountInCents: 6_000 });
    const first: ToolResult = await reachesNothing(e2e.sim, () => h.call("create_withdrawal", args));

    expect(human.prompts).toHaveLength(1);
    expect(first.isError).toBeFalsy();
    expect(first.structuredContent.status).toBe("confirmation_required");
    expect(textOf(first)).toMatch(/timed out, so this uses a token instead/);
    const token = first.structuredContent.confirmationToken as string;
    expect(textOf(first)).toContain(token);

    const before = e2e.sim.control.counts().withdrawals;
    const second: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken: token });
    expect(second.isError).toBeFalsy();
    expect(second.structuredContent.status).toBe("done");
    expect(second.structuredContent.confirmation.by).toBe("token");
    // The token is the confirmation: no second prompt.
    expect(human.prompts).toHaveLength(1);
    expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
  });
});

describe("the client gives up first", () => {
  it("an approval that arrives after the client cancelled the call moves nothing", async () => {
    const gaveUp = new AbortController();
    let approved = false;
    // The client cancels the tools/call while the prompt is open; the human then says yes anyway.
    const lateYes: ElicitScript = async () => {
      gaveUp.abort(new Error("the agent gave up"));
      await new Promise((r) => setTimeout(r, 300));
      approved = true;
      return { action: "accept", content: { confirm: true } };
    };
    const { h, human } = await server(lateYes, { SPACEPAY_CONFIRM_TIMEOUT_MS: "10000" });
    await reachesNothing(e2e.sim, async () => {
      await expect(
        h.client.callTool({ name: "create_withdrawal", arguments: withdrawal() }, undefined, {
          signal: gaveUp.signal,
        }),
      ).rejects.toThrow(/gave up/);
      await vi.waitUntil(() => approved, { timeout: 5_000 });
      // Give the late "yes" time to reach the server and be ignored.
      await new Promise((r) => setTimeout(r, 300));
    });
    expect(human.prompts).toHaveLength(1);
    // The server is fine afterwards.
    const next: ToolResult = await h.call("list_withdrawals", {});
    expect(next.isError, textOf(next)).toBeFalsy();
  });
});

describe("a client that cannot elicit", () => {
  it("is refused in elicitation mode, naming the setting; nothing is sent", async () => {
    const h = await e2e.open({ env: { SPACEPAY_CONFIRM: "elicitation" } });
    const res: ToolResult = await reachesNothing(e2e.sim, () => h.call("create_withdrawal", withdrawal()));
    expect(res.isError).toBe(true);
    expect(textOf(res)).toContain("SPACEPAY_CONFIRM=elicitation");
    expect(textOf(res)).toMatch(/requires a client that supports elicitation/);
    expect(textOf(res)).toMatch(/Nothing was sent/);
  });

  it("gets a token in auto mode instead of a prompt", async () => {
    const h = await e2e.open({ env: { SPACEPAY_CONFIRM: "auto" } });
    const res: ToolResult = await reachesNothing(e2e.sim, () => h.call("create_withdrawal", withdrawal()));
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent.status).toBe("confirmation_required");
  });
});
