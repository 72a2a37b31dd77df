// The guard end to end: spending limits and tool gating through MCP. Every refusal is an isError result
// naming the rule and its configured value, and never reaches SpacePay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { LISTED_TOOLS } from "../helpers/listed-tools.js";
import { RECIPIENT, type Harness, textOf, type ToolResult } from "../helpers/mcp-harness.js";
import {
  CAN_ELICIT,
  accept,
  expectRefusal,
  reachesNothing,
  scriptElicitation,
  withdrawal,
  startListedHarness,
  useSharedSimulator,
} from "./helpers.js";

const MONEY_TOOLS = ["create_deposit", "create_payment", "create_withdrawal"];
const LIVE_KEY = "sk_live_e2e_limits";

const e2e = useSharedSimulator();
let liveSim: SimulatorHandle;

beforeAll(async () => {
  liveSim = await startSimulator({ processingMs: 20, secretKey: LIVE_KEY });
});
afterAll(() => liveSim?.close());

function server(env: Record<string, string>, sharedSim?: SimulatorHandle): Promise<Harness> {
  return e2e.open({ sharedSim, env });
}

async function toolNames(h: Harness): Promise<string[]> {
  return (await h.client.listTools()).tools.map((t) => t.name).sort();
}

describe("per-call maximums", () => {
  it("refuses a withdrawal above SPACEPAY_MAX_WITHDRAWAL_CENTS; exactly the maximum goes through", async () => {
    const h = await server({ SPACEPAY_MAX_WITHDRAWAL_CENTS: "10000" });
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: 10_001 })),
    );
    expectRefusal(res, "SPACEPAY_MAX_WITHDRAWAL_CENTS", 10_000);
    expect(textOf(res)).toContain("$100.01");
    expect(textOf(res)).toContain("$100.00");

    const ok: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 10_000 }));
    expect(ok.isError, textOf(ok)).toBeFalsy();
  });

  it("refuses before asking the human: no prompt, no token", async () => {
    const h = await e2e.open({
      capabilities: CAN_ELICIT,
      env: { SPACEPAY_CONFIRM: "auto", SPACEPAY_MAX_WITHDRAWAL_CENTS: "10000" },
    });
    const human = scriptElicitation(h.client, accept);
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: 20_000 })),
    );
    expectRefusal(res, "SPACEPAY_MAX_WITHDRAWAL_CENTS", 10_000);
    expect(human.prompts).toHaveLength(0);
    expect(textOf(res)).not.toMatch(/cfm_/);
  });

  it("refuses a payment above SPACEPAY_MAX_PAYMENT_CENTS; exactly the maximum goes through", async () => {
    const h = await server({ SPACEPAY_MAX_PAYMENT_CENTS: "10000" });
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_payment", { amountInCents: 10_001, orderId: "max-pay-1" }),
    );
    expectRefusal(res, "SPACEPAY_MAX_PAYMENT_CENTS", 10_000);
    expect(textOf(res)).toContain("$100.01");

    const ok: ToolResult = await h.call("create_payment", { amountInCents: 10_000, orderId: "max-pay-2" });
    expect(ok.isError, textOf(ok)).toBeFalsy();
  });

  it("refuses the withdrawal that would cross the rolling daily limit", async () => {
    const h = await server({ SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "15000" });
    const first: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 10_000 }));
    expect(first.isError, textOf(first)).toBeFalsy();
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: 10_000 })),
    );
    expectRefusal(res, "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS", 15_000);
    expect(textOf(res)).toMatch(/\$100\.00 already withdrawn or in flight, \$50\.00 left/);
    // What is left still fits.
    const rest: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 5_000 }));
    expect(rest.isError, textOf(rest)).toBeFalsy();
  });
});

describe("invalid arguments never use up the limit", () => {
  it("a withdrawal whose metadata is too long is rejected without counting against the daily limit", async () => {
    const h = await server({ SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "10000" });
    const bad: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call(
        "create_withdrawal",
        withdrawal({ amountInCents: 10_000, customMetadata: { blob: "x".repeat(2_100) } }),
      ),
    );
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/customMetadata.*2048/);
    // Nothing was sent, so the whole limit is still there.
    const ok: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 10_000 }));
    expect(ok.isError, textOf(ok)).toBeFalsy();
  });
});

describe("the withdrawal allow-list", () => {
  const QUALIFIED = "0xabCDeF0123456789AbcdEf0123456789aBCDEF01";
  const ANY_CHAIN = "0x2222222222222222222222222222222222222222";
  const CONFIGURED = `eip155:84532:${QUALIFIED.toLowerCase()},${ANY_CHAIN}`;
  let h: Harness;
  beforeAll(async () => {
    h = await startListedHarness({
      sharedSim: e2e.sim,
      env: { SPACEPAY_WITHDRAWAL_ALLOWLIST: `eip155:84532:${QUALIFIED},${ANY_CHAIN}` },
    });
  });
  afterAll(() => h.close());

  it("allows a chain-qualified entry on its chain, whatever the letter case", async () => {
    for (const address of [QUALIFIED.toLowerCase(), QUALIFIED.toUpperCase().replace("0X", "0x")]) {
      const res: ToolResult = await h.call(
        "create_withdrawal",
        withdrawal({ chainId: "base-sepolia", recipientAddress: address }),
      );
      expect(res.isError, textOf(res)).toBeFalsy();
      expect(res.structuredContent.withdrawal.recipientAddress.toLowerCase()).toBe(QUALIFIED.toLowerCase());
    }
  });

  it("refuses a chain-qualified entry on another chain", async () => {
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_withdrawal", withdrawal({ chainId: "sepolia", recipientAddress: QUALIFIED })),
    );
    expectRefusal(res, "SPACEPAY_WITHDRAWAL_ALLOWLIST", CONFIGURED);
    expect(textOf(res)).toContain("eip155:11155111");
  });

  it("allows an unqualified entry on any chain, whatever the letter case", async () => {
    const upper = "0x" + "2".repeat(40);
    for (const chainId of ["base-sepolia", "sepolia"]) {
      const res: ToolResult = await h.call(
        "create_withdrawal",
        withdrawal({ chainId, recipientAddress: upper }),
      );
      expect(res.isError, textOf(res)).toBeFalsy();
    }
    const mixed = "0xabCDeF0123456789AbcdEf0123456789aBCDEF01";
    const res: ToolResult = await h.call("create_withdrawal", withdrawal({ recipientAddress: mixed }));
    expect(res.isError, textOf(res)).toBeFalsy();
  });

  it("refuses an address that is not listed", async () => {
    const res: ToolResult = await reachesNothing(e2e.sim, () =>
      h.call("create_withdrawal", withdrawal({ recipientAddress: RECIPIENT })),
    );
    expectRefusal(res, "SPACEPAY_WITHDRAWAL_ALLOWLIST", CONFIGURED);
    expect(textOf(res)).toContain(RECIPIENT);
  });
});

describe("which tools exist", () => {
  it("read-only: no money-moving tool is listed, and calling one fails without reaching SpacePay", async () => {
    // Read-only wins over an allow list that names a money tool.
    const h = await server({ SPACEPAY_READ_ONLY: "true", SPACEPAY_TOOLS: "create_payment,get_payment" });
    const names = await toolNames(h);
    expect(names).toEqual(["get_payment"]);

    const full = await server({ SPACEPAY_READ_ONLY: "true" });
    const all = await toolNames(full);
    for (const t of MONEY_TOOLS) expect(all).not.toContain(t);
    expect(all).toContain("list_payments");
    for (const t of MONEY_TOOLS) {
      await reachesNothing(e2e.sim, async () => {
        await expect(
          full.call(t, {
            amountInCents: 5_000,
            orderId: "ro-1",
            chainId: "base-sepolia",
            recipientAddress: RECIPIENT,
          }),
        ).rejects.toThrow(new RegExp(`Unknown tool "${t}"`));
      });
    }
  });

  it("SPACEPAY_TOOLS lists exactly the named tools", async () => {
    const h = await server({ SPACEPAY_TOOLS: "get_payment,create_payment" });
    expect(await toolNames(h)).toEqual(["create_payment", "get_payment"]);
    await reachesNothing(e2e.sim, () =>
      expect(h.call("create_withdrawal", withdrawal())).rejects.toThrow(/Unknown tool "create_withdrawal"/),
    );
  });

  it("SPACEPAY_EXCLUDE_TOOLS removes the named tools", async () => {
    const h = await server({ SPACEPAY_EXCLUDE_TOOLS: "create_withdrawal,create_deposit" });
    const names = await toolNames(h);
    // toolNames sorts.
    expect(names).toEqual(
      LISTED_TOOLS.filter((n) => n !== "create_withdrawal" && n !== "create_deposit").sort(),
    );
    await reachesNothing(e2e.sim, () =>
      expect(h.call("create_withdrawal", withdrawal())).rejects.toThrow(/Unknown tool "create_withdrawal"/),
    );
  });
});

describe("live keys", () => {
  it("a key not starting with sk_test_ is live: create_withdrawal is not offered", async () => {
    const h = await server({ SPACEPAY_SECRET_KEY: LIVE_KEY }, liveSim);
    const names = await toolNames(h);
    expect(names).not.toContain("create_withdrawal");
    expect(names).toContain("create_payment");
    await reachesNothing(liveSim, () =>
      expect(h.call("create_withdrawal", withdrawal())).rejects.toThrow(/Unknown tool "create_withdrawal"/),
    );
    const account = await h.client.readResource({ uri: "spacepay://account" });
    const body = JSON.parse((account.contents[0] as { text: string }).text);
    expect(body.mode).toBe("live");
    expect(body.disabledTools.create_withdrawal).toMatch(/SPACEPAY_ALLOW_LIVE_WITHDRAWALS/);

    // Other tools work against the live key.
    const pay: ToolResult = await h.call("create_payment", { amountInCents: 1_000, orderId: "live-pay-1" });
    expect(pay.isError, textOf(pay)).toBeFalsy();
    expect(pay.structuredContent.mode).toBe("live");
  });

  it("with SPACEPAY_ALLOW_LIVE_WITHDRAWALS=true it is offered, and the other limits still apply", async () => {
    const h = await server(
      {
        SPACEPAY_SECRET_KEY: LIVE_KEY,
        SPACEPAY_ALLOW_LIVE_WITHDRAWALS: "true",
        SPACEPAY_MAX_WITHDRAWAL_CENTS: "10000",
      },
      liveSim,
    );
    expect(await toolNames(h)).toContain("create_withdrawal");
    const before = liveSim.control.counts().withdrawals;
    const ok: ToolResult = await h.call("create_withdrawal", withdrawal({ amountInCents: 2_000 }));
    expect(ok.isError, textOf(ok)).toBeFalsy();
    expect(ok.structuredContent.mode).toBe("live");
    expect(liveSim.control.counts().withdrawals).toBe(before + 1);

    const over: ToolResult = await reachesNothing(liveSim, () =>
      h.call("create_withdrawal", withdrawal({ amountInCents: 10_001 })),
    );
    expectRefusal(over, "SPACEPAY_MAX_WITHDRAWAL_CENTS", 10_000);
  });
});
