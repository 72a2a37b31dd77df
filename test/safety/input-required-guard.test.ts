// The guard's input_required channel (2026-07-28) against real state and audit files: what each
// SPACEPAY_CONFIRM mode does with it, the idempotency key bound when asking, the caller binding, and a
// requestState that keeps the arguments sealed.
import { describe, expect, it } from "vitest";
import { type GuardResult, type GuardedCall, type SafetyPolicy } from "../../src/safety/index.js";
import type { InputRequiredAsk } from "../../src/safety/results.js";
import { RECIPIENT, fakeApi, policy, useGuardState, withdrawalArgs, withdrawalSummary } from "./helpers.js";

const state = useGuardState();

async function setup(confirm: SafetyPolicy["confirm"]) {
  const { guard, audit } = await state.open({ confirm, withdrawalAllowlist: [{ address: RECIPIENT }] });
  const api = fakeApi();
  const args = withdrawalArgs();
  const run = (inputRequired: GuardedCall["inputRequired"], extra: Partial<GuardedCall> = {}) =>
    guard.run({
      tool: "create_withdrawal",
      args,
      summary: withdrawalSummary(args),
      signal: new AbortController().signal,
      execute: api.execute,
      inputRequired,
      ...extra,
    });
  return { run, api, audit };
}

/** The form prompt of an input_required answer (a passkey page is the other kind). */
function formOf(ask: GuardResult): InputRequiredAsk {
  const embedded = ask.inputRequired;
  if (!embedded || !("requestState" in embedded)) throw new Error("expected an input_required form prompt");
  return embedded;
}

const accepted = (ask: GuardResult) => ({
  responses: { [formOf(ask).key]: { action: "accept", content: { confirm: true } } },
  requestState: formOf(ask).requestState,
});

describe("input_required by SPACEPAY_CONFIRM mode", () => {
  it("auto and elicitation ask through input_required; the accepted retry sends once, with the key bound when asking", async () => {
    for (const mode of ["auto", "elicitation"] as const) {
      await state.fresh();
      const { run, api, audit } = await setup(mode);
      const ask = await run({});
      expect(formOf(ask).elicitation.message).toMatch(/^Please confirm: Withdraw \$25\.00/);
      expect(api.keys).toEqual([]);
      const done = await run(accepted(ask));
      expect(done.structured.confirmation).toMatchObject({ by: "input_required" });
      expect(api.keys).toHaveLength(1);
      const entries = await audit.readRecent(20);
      const asked = entries.find((e) => e.outcome === "confirmation_required");
      expect(asked?.confirmation).toBe("input_required");
      expect(asked?.idempotencyKey).toBe(api.keys[0]);
      expect(entries.find((e) => e.event === "intent")?.confirmation).toBe("input_required");
      // The state is a bearer of the user's yes: it never reaches the audit log.
      expect(JSON.stringify(entries)).not.toContain(formOf(ask).requestState);
    }
  });

  it("token mode gives a token instead; off runs without asking", async () => {
    const token = await (await setup("token")).run({});
    expect(token.inputRequired).toBeUndefined();
    expect(typeof token.structured.confirmationToken).toBe("string");
    await state.fresh();
    const off = await setup("off");
    await off.run({});
    expect(off.api.keys).toHaveLength(1);
  });
});

describe("the sealed requestState", () => {
  it("keeps the arguments unreadable, and only the caller it was issued to may answer it", async () => {
    const { run, api } = await setup("auto");
    const ask = await run({}, { caller: "alice" });
    const state = formOf(ask).requestState;
    expect(state).not.toContain(RECIPIENT.slice(2, 12));
    expect(Buffer.from(state.slice(3), "base64url").toString("latin1")).not.toContain(RECIPIENT);
    const other = await run(accepted(ask), { caller: "mallory" });
    expect(other.structured).toMatchObject({ status: "refused", rule: "requestState" });
    expect(other.text).toMatch(/another caller/);
    // Checked before it is used up: the wrong presenter does not spend alice's confirmation.
    const done = await run(accepted(ask), { caller: "alice" });
    expect(done.structured.confirmation).toMatchObject({ by: "input_required" });
    expect(api.keys).toHaveLength(1);
  });

  it("expires after SPACEPAY_CONFIRM_TIMEOUT_MS", async () => {
    const { run, api } = await setup("auto");
    const ask = await run({});
    state.clock.advance(policy().confirmTimeoutMs);
    const late = await run(accepted(ask));
    expect(late.structured).toMatchObject({ status: "refused", rule: "requestState" });
    expect(late.text).toMatch(/expired/);
    expect(api.keys).toEqual([]);
  });
});
