// Issue 11 item 9: invisible Unicode (tags, separators, format and control characters, variation
// selectors) never reaches the model or the approver, from SpacePay's data or from the model's own
// arguments; quoted text is cut on code points; confirmation prompts show every caller value.
import { describe, expect, it } from "vitest";
import { startHarness, useHarness, RECIPIENT } from "../helpers/mcp-harness.js";
import { BASE_SEPOLIA, textOf, type ToolResult, paymentThroughApi, withdrawalThroughApi } from "./helpers.js";
import { CAN_ELICIT, accept, scriptElicitation } from "../safety-e2e/helpers.js";

/** One sample of every class the cleaner must remove. */
const CLASSES: Record<string, string> = {
  "tag characters U+E0000–E007F": "\u{E0001}\u{E0049}\u{E0047}\u{E007F}",
  "line separator U+2028": "\u2028",
  "paragraph separator U+2029": "\u2029",
  "word joiner and invisible operators U+2060–2064": "\u2060\u2061\u2062\u2063\u2064",
  "Arabic letter mark U+061C": "\u061c",
  "Mongolian vowel separator U+180E": "\u180e",
  "soft hyphen U+00AD": "\u00ad",
  "combining grapheme joiner U+034F": "\u034f",
  "variation selectors": "\ufe0f\u{e0100}",
  "C0 and C1 controls": "\u0007\u0085",
  "bidi override and zero-width space": "\u202e\u200b",
};
const CASES = Object.entries(CLASSES);

/** A lone high or low surrogate, or one escaped as \uD8xx (how JSON.stringify shows a split pair). */
const SPLIT_PAIR = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\\ud[89a-f]/i;

const h = useHarness({ simulator: { processingMs: 0 } });

/** Everything a client could show: tool text, structured output, and the resource. */
async function everythingShown(res: ToolResult, uri: string): Promise<string> {
  expect(res.isError, textOf(res)).toBeFalsy();
  const resource = await h.client.readResource({ uri });
  const resourceText = resource.contents.map((c) => ("text" in c ? String(c.text) : "")).join("\n");
  return [textOf(res), JSON.stringify(res.structuredContent), resourceText].join("\n");
}

function expectNone(shown: string, chars: string): void {
  for (const ch of chars) {
    const code = ch.codePointAt(0)!.toString(16);
    expect(shown.includes(ch), `U+${code} reached the client`).toBe(false);
  }
}

describe("in SpacePay's data", () => {
  it.each(CASES)("%s are removed from payments: tool text, structured output, resource", async (_, chars) => {
    // Through SpacePay's API, as another system of the merchant's might: the tools refuse such text.
    const id = await paymentThroughApi(h.sim, `ord${chars}-1`);
    await h.sim.control.pay(id, {
      outcome: "exact",
      txHash: `tx${chars}`,
      sender: `from${chars}`,
      wait: true,
    });
    const res: ToolResult = await h.call("get_payment", { paymentId: id });
    const shown = await everythingShown(res, `spacepay://payments/${id}`);
    expectNone(shown, chars);
    expect(res.structuredContent.payment.orderId).toBe("ord-1");
    expect(res.structuredContent.payment.receipt.txHash).toBe("tx");
    expect(textOf(res)).toContain('Order: "ord-1"');
  });

  it.each(CASES)("%s are removed from withdrawals, SpacePay's error message included", async (_, chars) => {
    const id = await withdrawalThroughApi(h.sim, 300, `wd${chars}-1`);
    await h.sim.control.failWithdrawal(id, { errorMessage: `gas${chars} too low`, wait: true });
    const res: ToolResult = await h.call("get_withdrawal", { withdrawalId: id });
    const shown = await everythingShown(res, `spacepay://withdrawals/${id}`);
    expectNone(shown, chars);
    expect(res.structuredContent.withdrawal.errorMessage).toBe("gas too low");
    expect(textOf(res)).toContain('Error from SpacePay: "gas too low"');
  });

  it("quoted text is cut on code points, never inside a surrogate pair", async () => {
    // 195 letters and 10 emoji (two UTF-16 units each): a cut at 200 units would split the third emoji.
    const orderId = "a".repeat(195) + "😀".repeat(10);
    const id = await paymentThroughApi(h.sim, orderId);
    const res: ToolResult = await h.call("get_payment", { paymentId: id });
    const text = textOf(res);
    expect(text).not.toMatch(SPLIT_PAIR);
    expect(text).toContain(`Order: "${"a".repeat(195)}${"😀".repeat(5)}…"`);
  });
});

describe("in the model's arguments", () => {
  const chainless = { amountInCents: 500, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT };
  const calls: Array<[string, string, (bad: string) => Record<string, unknown>]> = [
    ["create_payment", "orderId", (bad) => ({ amountInCents: 1_000, orderId: bad })],
    ["create_deposit", "orderId", (bad) => ({ orderId: bad })],
    ["create_deposit", "customerRefId", (bad) => ({ orderId: "dep-1", customerRefId: bad })],
    [
      "create_payment",
      "redirectUrl",
      (bad) => ({ amountInCents: 1_000, orderId: "p-1", redirectUrl: `https://shop.example/${bad}` }),
    ],
    [
      "create_payment",
      "idempotencyKey",
      (bad) => ({ amountInCents: 1_000, orderId: "p-2", idempotencyKey: bad }),
    ],
    ["create_withdrawal", "orderId", (bad) => ({ ...chainless, orderId: bad })],
    ["create_withdrawal", "recipientAddress", (bad) => ({ ...chainless, recipientAddress: RECIPIENT + bad })],
    ["list_payments", "orderId", (bad) => ({ orderId: bad })],
  ];

  for (const [tool, field, args] of calls) {
    it.each(CASES)(
      `${tool} refuses %s in \`${field}\`, naming the field, and calls nothing`,
      async (_, chars) => {
        const before = h.sim.control.counts().requests;
        const res: ToolResult = await h.call(tool, args(`x${chars}y`));
        expect(res.isError).toBe(true);
        expect(textOf(res)).toContain(`\`${field}\``);
        expect(textOf(res)).toMatch(/Nothing was done/);
        expect(h.sim.control.counts().requests).toBe(before);
      },
    );
  }
});

describe("confirmation prompts", () => {
  const deposit = {
    orderId: "dep-prompt-1",
    customerRefId: "customer-42",
    redirectUrl: "https://shop.example/thanks",
  };

  it("the elicitation shows the customer reference and the redirect URL", async () => {
    const e = await startHarness({
      sharedSim: h.sim,
      capabilities: CAN_ELICIT,
      env: { SPACEPAY_CONFIRM: "elicitation" },
    });
    try {
      const human = scriptElicitation(e.client, accept);
      const res: ToolResult = await e.call("create_deposit", deposit);
      expect(res.isError, textOf(res)).toBeFalsy();
      expect(human.prompts).toHaveLength(1);
      const message = human.prompts[0]!.message;
      expect(message).toContain('for order "dep-prompt-1"');
      expect(message).toContain('Customer reference: "customer-42"');
      expect(message).toContain('the customer is sent to "https://shop.example/thanks"');
    } finally {
      await e.close();
    }
  });

  it("a token's summary and text show them too", async () => {
    const t = await startHarness({ sharedSim: h.sim, env: { SPACEPAY_CONFIRM: "token" } });
    try {
      const res: ToolResult = await t.call("create_deposit", { ...deposit, orderId: "dep-prompt-2" });
      expect(res.structuredContent.status).toBe("confirmation_required");
      expect(res.structuredContent.summary).toMatchObject({
        customerRefId: "customer-42",
        redirectUrl: "https://shop.example/thanks",
      });
      expect(textOf(res)).toContain('Customer reference: "customer-42"');
      expect(textOf(res)).toContain('"https://shop.example/thanks"');
    } finally {
      await t.close();
    }
  });
});
