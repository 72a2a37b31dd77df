// Issue #11 item 3: bookkeeping that fails. The intent line is written whole before the request or
// nothing is sent; after SpacePay succeeded, a failure to record the outcome returns the success with
// a warning (and repeating the confirmed call does not pay twice). Faults are injected through the
// audit log's file layer; the real-disk version is in bookkeeping-disk.test.ts.
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import type { AuditEntry, AuditFs } from "../../src/safety/audit.js";
import { withdrawal, withdrawalPosts, useSharedSimulator } from "./helpers.js";
import { textOf, type ToolResult } from "../helpers/mcp-harness.js";

const e2e = useSharedSimulator({ freshStateDir: true });

/** An audit file layer that fails writes of lines matching `when` with ENOSPC, or passes them through. */
function failingFs(when: (line: string) => boolean, state = { on: true }): AuditFs {
  return {
    writeSync(fd, buffer, offset, length) {
      if (state.on && when(buffer.toString("utf8"))) {
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      }
      return fs.writeSync(fd, buffer, offset, length);
    },
    fsyncSync: (fd) => fs.fsyncSync(fd),
  };
}

const server = (env: Record<string, string>, auditFs?: AuditFs) => e2e.open({ env, runtime: { auditFs } });

function auditLines(): string[] {
  return fs.readFileSync(path.join(e2e.stateDir, "audit.jsonl"), "utf8").split("\n").filter(Boolean);
}

it("short writes: the intent and outcome lines are still written whole, one JSON object per line", async () => {
  // At most 7 bytes per write call, as a nearly full disk may do without an error.
  const short: AuditFs = {
    writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, Math.min(length, 7)),
    fsyncSync: (fd) => fs.fsyncSync(fd),
  };
  const h = await server({}, short);
  const args = withdrawal();
  const res: ToolResult = await h.call("create_withdrawal", args);
  expect(res.isError, textOf(res)).toBeFalsy();
  const entries = auditLines().map((l) => JSON.parse(l) as AuditEntry);
  const mine = entries.filter((e) => (e.args.arguments as { orderId?: string })?.orderId === args.orderId);
  expect(mine.map((e) => e.event)).toEqual(["intent", "outcome"]);
  expect(mine[1]!.outcome).toBe("done");
});

it("ENOSPC on the intent line: the call is refused, nothing is sent, and the budget is not held", async () => {
  const fault = { on: true };
  const h = await server(
    // The cap fits one withdrawal: a reservation left counting would refuse the next one.
    { SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "5000" },
    failingFs((line) => line.includes('"event":"intent"'), fault),
  );
  const before = withdrawalPosts(e2e.sim).length;
  const res: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(res.isError).toBe(true);
  expect(res.structuredContent.status).toBe("refused");
  const text = textOf(res);
  expect(text).toMatch(/nothing was sent/i);
  expect(text).toContain(path.join(e2e.stateDir, "audit.jsonl"));
  expect(text).toContain("ENOSPC");
  expect(text).not.toMatch(/may have gone through|repeat the same call/i);
  expect(withdrawalPosts(e2e.sim).length).toBe(before);

  fault.on = false;
  const next: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(next.isError, textOf(next)).toBeFalsy();
  expect(next.structuredContent.status).toBe("done");
  expect(withdrawalPosts(e2e.sim).length).toBe(before + 1);
});

it("ENOSPC on the intent of a confirmed token call: refused, nothing sent, the token is used up", async () => {
  const fault = { on: false };
  const h = await server(
    { SPACEPAY_CONFIRM: "token" },
    failingFs((line) => line.includes('"event":"intent"'), fault),
  );
  const args = withdrawal();
  const asked: ToolResult = await h.call("create_withdrawal", args);
  const confirmationToken = asked.structuredContent.confirmationToken as string;
  fault.on = true;
  const before = withdrawalPosts(e2e.sim).length;
  const res: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken });
  expect(res.isError).toBe(true);
  expect(textOf(res)).toMatch(/nothing was sent/i);
  expect(withdrawalPosts(e2e.sim).length).toBe(before);
  fault.on = false;
  const again: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken });
  expect(textOf(again)).toMatch(/already been used/);
  expect(withdrawalPosts(e2e.sim).length).toBe(before);
});

it("ENOSPC on the outcome after SpacePay succeeded: success with a warning, and repeating does not pay twice", async () => {
  const h = await server(
    { SPACEPAY_CONFIRM: "token" },
    failingFs((line) => line.includes('"outcome":"done"')),
  );
  const args = withdrawal();
  const asked: ToolResult = await h.call("create_withdrawal", args);
  expect(asked.structuredContent.status, textOf(asked)).toBe("confirmation_required");
  const confirmationToken = asked.structuredContent.confirmationToken as string;
  const before = withdrawalPosts(e2e.sim).length;

  const res: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken });
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(res.structuredContent.status).toBe("done");
  expect(res.structuredContent.withdrawal.id).toMatch(/\S/);
  expect(res.structuredContent.warning).toMatch(/could not record the outcome/);
  expect(res.structuredContent.warning).toContain("ENOSPC");
  const text = textOf(res);
  expect(text).toMatch(/Do not repeat the call/);
  expect(text).not.toMatch(/may have gone through|repeat the same call unchanged/i);
  expect(withdrawalPosts(e2e.sim).length).toBe(before + 1);

  // An agent that repeats anyway, with the same confirmation, gets no second withdrawal.
  const again: ToolResult = await h.call("create_withdrawal", { ...args, confirmationToken });
  expect(again.structuredContent?.withdrawal?.id ?? null).not.toBe(null);
  expect(withdrawalPosts(e2e.sim).length).toBe(before + 1);
  expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
});

it("ENOSPC on the outcome with confirmation off: the success is returned, not an error asking to repeat", async () => {
  const h = await server(
    {},
    failingFs((line) => line.includes('"outcome":"done"')),
  );
  const before = withdrawalPosts(e2e.sim).length;
  const res: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(res.structuredContent.warning).toMatch(/could not record the outcome/);
  expect(textOf(res)).not.toMatch(/repeat the same call unchanged/i);
  expect(withdrawalPosts(e2e.sim).length).toBe(before + 1);
});
