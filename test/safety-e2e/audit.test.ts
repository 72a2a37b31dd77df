// The guard end to end: the audit trail. Every money-moving attempt leaves intent and outcome lines in
// SPACEPAY_STATE_DIR/audit.jsonl (0600, no credentials, payment secrets or confirmation tokens), and
// spacepay://audit/recent shows them to the client.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitLines, verifyChain, type AuditEntry } from "../../src/safety/index.js";
import { type Harness, WITHDRAWALS_PATH, textOf, type ToolResult } from "../helpers/mcp-harness.js";
import {
  CAN_ELICIT,
  accept,
  decline,
  scriptElicitation,
  uniqueOrder,
  withdrawal,
  startListedHarness,
  connectListed,
} from "./helpers.js";

const MERCHANT_KEY = "sk_test_e2e_audit_merchant_key_0123456789";
const BEARER = "e2e_audit_bearer_token_abcdefghijklmnop";

let h: Harness;
let human: ReturnType<typeof scriptElicitation>;
const orders = {
  payment: uniqueOrder("audit-pay"),
  done: uniqueOrder("audit-done"),
  declined: uniqueOrder("audit-declined"),
  refused: uniqueOrder("audit-refused"),
  failed: uniqueOrder("audit-failed"),
  token: uniqueOrder("audit-token"),
};
let paymentSecret: string;
let confirmationToken: string;
let results: Record<keyof typeof orders, ToolResult>;

beforeAll(async () => {
  h = await startListedHarness({
    simulator: { secretKey: MERCHANT_KEY, bearerToken: BEARER },
    capabilities: CAN_ELICIT,
    env: {
      SPACEPAY_SECRET_KEY: MERCHANT_KEY,
      SPACEPAY_BEARER_TOKEN: BEARER,
      SPACEPAY_MERCHANT_ID: "5a1e5a1e-0000-4000-8000-000000000001",
      SPACEPAY_CONFIRM: "auto",
      SPACEPAY_MAX_WITHDRAWAL_CENTS: "50000",
    },
  });
  human = scriptElicitation(h.client, accept);

  const payment: ToolResult = await h.call("create_payment", {
    amountInCents: 2_000,
    orderId: orders.payment,
  });
  paymentSecret = h.sim.control.paymentSecret(payment.structuredContent.payment.id)!;
  expect(paymentSecret).toBeTruthy();

  // An agent pasting credentials into metadata must not get them into the audit log either.
  const done: ToolResult = await h.call(
    "create_withdrawal",
    withdrawal({
      orderId: orders.done,
      customMetadata: { note: `${MERCHANT_KEY} ${BEARER} ${paymentSecret}` },
    }),
  );
  human.script = decline;
  const declined: ToolResult = await h.call("create_withdrawal", withdrawal({ orderId: orders.declined }));
  human.script = accept;
  const refused: ToolResult = await h.call(
    "create_withdrawal",
    withdrawal({ orderId: orders.refused, amountInCents: 60_000 }),
  );
  h.sim.control.addFault({ kind: "error", status: 422, method: "POST", path: WITHDRAWALS_PATH, count: 1 });
  const failed: ToolResult = await h.call("create_withdrawal", withdrawal({ orderId: orders.failed }));

  // A client without elicitation gets a token in auto mode.
  const tokenClient = await connectListed(h, {});
  const tokenArgs = withdrawal({ orderId: orders.token });
  const ask = (await tokenClient.callTool({ name: "create_withdrawal", arguments: tokenArgs })) as ToolResult;
  confirmationToken = ask.structuredContent.confirmationToken;
  const token = (await tokenClient.callTool({
    name: "create_withdrawal",
    arguments: { ...tokenArgs, confirmationToken },
  })) as ToolResult;

  results = { payment, done, declined, refused, failed, token };
});
afterAll(() => h.close());

function auditFile(): string {
  return path.join(h.stateDir, "audit.jsonl");
}

function entries(): AuditEntry[] {
  return readFileSync(auditFile(), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}

/** The events logged for one order, in order: "intent" or "outcome:<outcome>". */
function eventsFor(orderId: string): string[] {
  return entries()
    .filter((e) => (e.args.arguments as { orderId?: string }).orderId === orderId)
    .map((e) => (e.event === "intent" ? "intent" : `outcome:${e.outcome}`));
}

describe("audit.jsonl", () => {
  it("the scripted calls did what the audit is about to describe", () => {
    expect(results.payment.isError).toBeFalsy();
    expect(results.done.structuredContent?.status).toBe("done");
    expect(results.declined.structuredContent?.status).toBe("declined");
    expect(results.refused.isError).toBe(true);
    expect(results.failed.isError).toBe(true);
    expect(textOf(results.failed)).toMatch(/HTTP 422/);
    expect(results.token.structuredContent?.status).toBe("done");
  });

  it("has intent and outcome lines for done, refused, declined and failed", () => {
    expect(eventsFor(orders.payment)).toEqual(["intent", "outcome:done"]);
    expect(eventsFor(orders.done)).toEqual(["intent", "outcome:done"]);
    // Nothing was attempted, so no intent: only the outcome.
    expect(eventsFor(orders.declined)).toEqual(["outcome:declined"]);
    expect(eventsFor(orders.refused)).toEqual(["outcome:refused"]);
    expect(eventsFor(orders.failed)).toEqual(["intent", "outcome:failed"]);
    expect(eventsFor(orders.token)).toEqual(["outcome:confirmation_required", "intent", "outcome:done"]);
  });

  it("records who confirmed, the key, the rule, the error and the ids", () => {
    const of = (orderId: string) =>
      entries().filter((e) => (e.args.arguments as { orderId?: string }).orderId === orderId);

    const [intent, done] = of(orders.done);
    expect(intent!.confirmation).toBe("elicitation");
    expect(intent!.idempotencyKey).toBeTruthy();
    expect(done!.idempotencyKey).toBe(intent!.idempotencyKey);
    expect(done!.ids?.withdrawalId).toBe(results.done.structuredContent.withdrawal.id);
    expect(
      h.sim.control
        .requests({ method: "POST", path: WITHDRAWALS_PATH })
        .map((r) => r.headers["idempotency-key"]),
    ).toContain(intent!.idempotencyKey);
    expect((done!.args.summary as { amountInCents: number }).amountInCents).toBe(5_000);

    expect(of(orders.refused)[0]!.rule).toBe("SPACEPAY_MAX_WITHDRAWAL_CENTS");
    const failed = of(orders.failed)[1]!;
    expect(failed.error?.message).toBeTruthy();
    expect(failed.ambiguous).toBe(false);
    const token = of(orders.token);
    expect(token[0]!.tokenId).toMatch(/^[0-9a-f]{12}$/);
    expect(token[2]!.tokenId).toBe(token[0]!.tokenId);
    expect(token[2]!.confirmation).toBe("token");
  });

  it("is readable by its owner only (0600)", () => {
    expect(statSync(auditFile()).mode & 0o777).toBe(0o600);
  });

  it("contains no merchant key, bearer token, payment secret or confirmation token", () => {
    const raw = readFileSync(auditFile(), "utf8");
    expect(confirmationToken).toMatch(/^cfm_/);
    for (const secret of [MERCHANT_KEY, BEARER, paymentSecret, confirmationToken]) {
      expect(raw).not.toContain(secret);
    }
    // The metadata holding them was logged, masked.
    expect(raw).toContain("[redacted] [redacted] [redacted]");
  });
});

describe("spacepay://audit/recent", () => {
  it("shows the recent entries to the client, without secrets", async () => {
    const res = await h.client.readResource({ uri: "spacepay://audit/recent" });
    const content = res.contents[0] as { text: string; mimeType?: string };
    expect(content.mimeType).toBe("application/json");
    const shown = JSON.parse(content.text) as AuditEntry[];
    // The same entries as the file, without the chain hash (that is for `audit verify`).
    expect(shown).toEqual(
      entries()
        .slice(-50)
        .map(({ prev: _prev, ...rest }) => rest),
    );
    expect(content.text).not.toContain('"prev"');
    // Everything the server wrote forms one intact chain.
    expect(verifyChain(splitLines(readFileSync(auditFile())))).toMatchObject({
      ok: true,
      count: entries().length,
      chainStart: 1,
    });
    const outcomes = new Set(shown.map((e) => e.outcome).filter(Boolean));
    for (const o of ["done", "refused", "declined", "failed", "confirmation_required"])
      expect(outcomes).toContain(o);
    for (const secret of [MERCHANT_KEY, BEARER, paymentSecret, confirmationToken]) {
      expect(content.text).not.toContain(secret);
    }
  });
});
