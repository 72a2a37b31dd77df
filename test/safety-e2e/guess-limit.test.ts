// Wrong confirmation tokens are rate-limited per caller (issue 21): ten wrong guesses a minute are each
// refused, the eleventh is refused unread (even a real token), nothing is sent, and the audit records
// counts (the first and each doubling), never the guessed tokens.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import type { AuditEntry } from "../../src/safety/audit.js";
import { useHarness } from "../helpers/mcp-harness.js";
import { withdrawal } from "./helpers.js";

const h = useHarness({ env: { SPACEPAY_CONFIRM: "token" } });

const structured = (res: unknown) => (res as { structuredContent: Record<string, any> }).structuredContent;
const guess = (i: number) => `cfm_${"guess".repeat(6)}${String(i).padStart(2, "0")}`;

it("refuses the 11th wrong token of a minute unread, sends nothing and audits counts, not guesses", async () => {
  const args = withdrawal();
  const real = structured(await h.call("create_withdrawal", args)).confirmationToken as string;
  expect(real).toMatch(/^cfm_/);
  const before = h.sim.control.counts().withdrawals;

  for (let i = 1; i <= 10; i++) {
    const s = structured(await h.call("create_withdrawal", { ...args, confirmationToken: guess(i) }));
    expect(s, `guess ${i}`).toMatchObject({ status: "refused", rule: "confirmationToken" });
    expect(s.message).not.toMatch(/too many/);
  }
  const limited = structured(await h.call("create_withdrawal", { ...args, confirmationToken: guess(11) }));
  expect(limited).toMatchObject({ status: "refused", rule: "confirmationToken" });
  expect(limited.message).toMatch(
    /too many wrong confirmations from this caller; try again in \d+ s\. Nothing was sent\./,
  );
  // Refused unread: while limited, even the token this server issued is not taken.
  const realRefused = structured(await h.call("create_withdrawal", { ...args, confirmationToken: real }));
  expect(realRefused.message).toMatch(/too many wrong confirmations/);
  expect(h.sim.control.counts().withdrawals).toBe(before);

  const audit = readFileSync(path.join(h.stateDir, "audit.jsonl"), "utf8");
  const counted = audit
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry)
    .filter((e) => e.failures !== undefined);
  expect(counted.map((e) => e.failures)).toEqual([1, 2, 4, 8]);
  expect(counted.every((e) => e.outcome === "refused" && e.rule === "confirmationToken")).toBe(true);
  for (let i = 1; i <= 11; i++) expect(audit).not.toContain(guess(i));
  expect(audit).not.toContain(real);
}, 30_000);
