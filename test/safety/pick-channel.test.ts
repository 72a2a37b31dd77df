// Which confirmation channel a money call uses (issue 21): every combination of SPACEPAY_CONFIRM,
// what the client can do and what the call presents, checked against a table written out by hand.
import { describe, expect, it } from "vitest";
import type { ConfirmMode } from "../../src/domain.js";
import { pickChannel, type ClientAbilities, type Picked, type Presented } from "../../src/safety/channel.js";

const MODES: ConfirmMode[] = ["auto", "elicitation", "token", "off"];
const bools = [false, true];
const ABILITIES: ClientAbilities[] = bools.flatMap((canElicit) =>
  bools.flatMap((inputRequired) => bools.map((rendersApps) => ({ canElicit, inputRequired, rendersApps }))),
);
const PRESENTED: Presented[] = bools.flatMap((token) =>
  bools.flatMap((handle) => bools.map((requestState) => ({ token, handle, requestState }))),
);
/** Every combination of mode × abilities × presented. */
const ROWS = MODES.flatMap((mode) => ABILITIES.flatMap((a) => PRESENTED.map((p) => ({ mode, a, p }))));

type Asks = "token" | "app" | "elicitation" | "input_required" | "refuse";
/**
 * A call presenting neither a token nor a card's handle: the channel that asks, by the client's
 * abilities (E = 2025 elicitation, I = 2026-07-28 input_required, A = renders MCP Apps) and mode.
 */
const ASKS: Record<string, Record<"auto" | "elicitation" | "token", Asks>> = {
  "": { auto: "token", elicitation: "refuse", token: "token" },
  A: { auto: "app", elicitation: "refuse", token: "token" },
  E: { auto: "elicitation", elicitation: "elicitation", token: "token" },
  EA: { auto: "elicitation", elicitation: "elicitation", token: "token" },
  I: { auto: "input_required", elicitation: "input_required", token: "token" },
  IA: { auto: "input_required", elicitation: "input_required", token: "token" },
  EI: { auto: "input_required", elicitation: "input_required", token: "token" },
  EIA: { auto: "input_required", elicitation: "input_required", token: "token" },
};

function key(a: ClientAbilities): string {
  return `${a.canElicit ? "E" : ""}${a.inputRequired ? "I" : ""}${a.rendersApps ? "A" : ""}`;
}

/** The expected pick, with a refusal as the rule it must name. */
function expected(mode: ConfirmMode, a: ClientAbilities, p: Presented): Picked | { refuse: RegExp } {
  if (mode === "off") return { use: "off" };
  // A card's handle is answered only where cards are issued (auto), whatever else is presented.
  if (p.handle) return mode === "auto" ? { use: "app", answer: true } : { refuse: /SPACEPAY_CONFIRM=auto/ };
  if (p.token)
    return mode === "elicitation"
      ? { refuse: /does not accept confirmationToken/ }
      : { use: "token", answer: true };
  const asks = ASKS[key(a)]![mode];
  if (asks === "refuse") return { refuse: /requires a client that supports elicitation/ };
  // Only an input_required retry carries its answer as requestState; elsewhere a stray one is ignored.
  return { use: asks, answer: asks === "input_required" && p.requestState };
}

describe("pickChannel", () => {
  it("covers every combination of mode × abilities × presented (256 rows)", () => {
    expect(ROWS).toHaveLength(256);
    for (const { mode, a, p } of ROWS) {
      const got = pickChannel(mode, a, p);
      const want = expected(mode, a, p);
      const label = JSON.stringify({ mode, ...a, ...p });
      if ("refuse" in want && want.refuse instanceof RegExp) {
        expect(got, label).toHaveProperty("refuse");
        const reason = (got as { refuse: string }).refuse;
        expect(reason, label).toMatch(want.refuse);
        expect(reason, label).toMatch(/Nothing was sent/);
      } else expect(got, label).toEqual(want);
    }
  });
});

describe("pickChannel with SPACEPAY_APPROVAL=passkey (a withdrawal)", () => {
  it("every mode and client asks through the passkey page; a token or card handle is refused (256 rows)", () => {
    expect(ROWS).toHaveLength(256);
    for (const { mode, a, p } of ROWS) {
      const picked = pickChannel(mode, a, p, true);
      const where = JSON.stringify({ mode, a, p });
      if (p.token || p.handle) {
        expect(picked, where).toEqual({ refuse: expect.stringContaining("SPACEPAY_APPROVAL=passkey") });
        expect((picked as { refuse: string }).refuse, where).toContain("Nothing was sent.");
      } else expect(picked, where).toEqual({ use: "passkey", answer: false });
    }
  });
});
