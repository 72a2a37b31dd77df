// The audit hash chain: an intact log verifies; an edited, deleted, inserted or reordered line is
// found and named; older unchained lines and crash-torn lines are reported, not mistaken for
// tampering; and two processes appending at once still form one chain.

import fs from "node:fs";
import path from "node:path";

import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { parseArgs } from "../../src/cli/args.js";
import { runAudit } from "../../src/cli/audit.js";
import {
  AUDIT_FILE,
  GENESIS_HASH,
  chainHash,
  openAuditLog,
  splitLines,
  verifyChain,
  type AuditEntry,
} from "../../src/safety/index.js";
import type { AuditMark } from "../../src/safety/audit-chain.js";
import { runWorker } from "./helpers.js";

function entry(i: number): AuditEntry {
  return {
    time: new Date(1_700_000_000_000 + i).toISOString(),
    event: "outcome",
    tool: "create_withdrawal",
    args: { orderId: `order-${i}`, amountInCents: 100 * i },
    confirmation: "token",
    idempotencyKey: `key-${i}`,
    outcome: "done",
  };
}

let dir = "";
it.beforeEach(({ stateDir }) => {
  dir = stateDir;
});

const file = () => path.join(dir, AUDIT_FILE);
const lines = () => fs.readFileSync(file(), "utf8").split("\n").slice(0, -1);
const write = (ls: string[]) => fs.writeFileSync(file(), ls.map((l) => l + "\n").join(""));
const verifyFile = () => verifyChain(splitLines(fs.readFileSync(file())));

function appendEntries(n: number, from = 0): void {
  const audit = openAuditLog(dir);
  for (let i = from; i < from + n; i++) audit.append(entry(i));
  audit.close();
}

describe("audit chain", () => {
  it("each line carries the hash of the line before it, starting from the genesis hash", () => {
    appendEntries(5);
    const ls = lines();
    expect((JSON.parse(ls[0]!) as AuditEntry).prev).toBe(GENESIS_HASH);
    for (let i = 1; i < ls.length; i++)
      expect((JSON.parse(ls[i]!) as AuditEntry).prev).toBe(chainHash(ls[i - 1]!));
    expect(verifyFile()).toEqual({
      ok: true,
      count: 5,
      chainStart: 1,
      unreadable: [],
      head: { seq: 5, hash: chainHash(ls[4]!) },
    });
  });

  it("append answers each entry's mark: its line number and the hash of its exact bytes", () => {
    const audit = openAuditLog(dir);
    const marks = [0, 1, 2].map((i) => audit.append(entry(i)));
    // Another writer's lines (another process), then a torn fragment: both are counted.
    appendEntries(2, 10);
    fs.appendFileSync(file(), '{"time":"torn');
    marks.push(audit.append(entry(3)));
    expect(marks[3]!.hash).toBe(chainHash(lines()[6]!));
    // A file cut short behind the writer's back is counted afresh, not from what it knew.
    write(lines().slice(0, 2));
    marks.push(audit.append(entry(4)));
    audit.close();
    const ls = lines();
    expect(marks.map((m) => m.seq)).toEqual([1, 2, 3, 7, 3]);
    expect(marks[0]!.hash).toBe(chainHash(ls[0]!));
    expect(marks[4]!.hash).toBe(chainHash(ls[2]!));
  });

  it("an edited line breaks the link of the line after it", () => {
    appendEntries(6);
    const ls = lines();
    ls[2] = ls[2]!.replace('"amountInCents":200', '"amountInCents":20000');
    write(ls);
    expect(verifyFile()).toMatchObject({
      ok: false,
      line: 4,
      reason: expect.stringMatching(/line 4 does not follow line 3: line 3 was edited/),
    });
  });

  it("a deleted line, an inserted line and reordered lines are each found", () => {
    appendEntries(6);
    const ls = lines();
    write([...ls.slice(0, 2), ...ls.slice(3)]);
    expect(verifyFile()).toMatchObject({ ok: false, line: 3 });
    write([...ls.slice(0, 4), ls[1]!, ...ls.slice(4)]);
    expect(verifyFile()).toMatchObject({ ok: false, line: 5 });
    write([ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)]);
    expect(verifyFile()).toMatchObject({ ok: false, line: 2 });
    write(ls.slice(1));
    expect(verifyFile()).toMatchObject({
      ok: false,
      line: 1,
      reason: expect.stringMatching(/deleted from the start/),
    });
    // An unchained line slipped in after the chain started.
    write([...ls.slice(0, 3), JSON.stringify(entry(99)), ...ls.slice(3)]);
    expect(verifyFile()).toMatchObject({
      ok: false,
      line: 4,
      reason: expect.stringMatching(/carries no prev/),
    });
  });

  it("lines from before the chain are reported as where it starts; the chain continues from them", () => {
    write([JSON.stringify(entry(1)), JSON.stringify(entry(2)), JSON.stringify(entry(3))]);
    appendEntries(2, 10);
    expect(verifyFile()).toMatchObject({ ok: true, count: 2, chainStart: 4 });
    // Editing an old line is caught where the chain begins.
    const ls = lines();
    ls[2] = ls[2]!.replace("order-3", "order-X");
    write(ls);
    expect(verifyFile()).toMatchObject({ ok: false, line: 4 });
  });

  it("a line torn by a crash is reported and the chain runs through its exact bytes", () => {
    appendEntries(2);
    // A fragment cut mid-character, with no newline: the next append ends it first.
    fs.appendFileSync(
      file(),
      Buffer.concat([Buffer.from('{"time":"2025-é'), Buffer.from("€").subarray(0, 2)]),
    );
    appendEntries(2, 5);
    const verdict = verifyFile();
    expect(verdict).toMatchObject({ ok: true, count: 4, unreadable: [3] });
  });

  it("two processes appending at once still form one chain", async () => {
    const startAt = Date.now() + 2_000;
    const run = async (tag: string) =>
      (await runWorker("audit-worker.ts", [dir, String(startAt), tag, "40"]))
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditMark);
    const marks = (await Promise.all([run("a"), run("b"), run("c")])).flat();
    const verdict = verifyFile();
    expect(verdict).toMatchObject({ ok: true, count: 120, unreadable: [] });
    // Each process's marks name its own lines, counting the others' appends in between.
    const ls = lines();
    expect(new Set(marks.map((m) => m.seq)).size).toBe(120);
    for (const m of marks) expect(m.hash).toBe(chainHash(ls[m.seq - 1]!));
    const tags = lines().map((l) => (JSON.parse(l) as AuditEntry).idempotencyKey?.[0]);
    // Interleaved, not one process after the other: the lock is what kept the chain whole.
    expect(new Set(tags.slice(0, 60)).size).toBeGreaterThan(1);
  }, 60_000);
});

describe("spacepay-mcp audit verify", async () => {
  const env = { SPACEPAY_SECRET_KEY: "sk_test_audit_cli_key_1" };
  const run = async (args: string[]) => {
    const parsed = parseArgs(args);
    const out: string[] = [];
    const code = await runAudit(parsed.action, parsed.flags, env, (l) => out.push(l));
    return { command: parsed.command, code, text: out.join("\n") };
  };

  it("says the chain is intact with the entry count, exit 0", async () => {
    appendEntries(3);
    const r = await run(["audit", "verify", "--state-dir", dir]);
    expect(r.command).toBe("audit");
    expect(r.code).toBe(0);
    expect(r.text).toContain("audit chain intact: 3 entries");
  });

  it("needs no merchant key: reads SPACEPAY_STATE_DIR itself, not the demo/ folder a keyless server uses", async () => {
    appendEntries(2);
    fs.mkdirSync(path.join(dir, "demo"));
    const out: string[] = [];
    expect(await runAudit("verify", {}, { SPACEPAY_STATE_DIR: dir }, (l) => out.push(l))).toBe(0);
    expect(out.join("\n")).toContain(`audit chain intact: 2 entries (${file()})`);
  });

  it("names the first broken line and why, exit 1; a missing log is exit 1; an unknown action exit 2", async () => {
    appendEntries(4);
    const ls = lines();
    write([ls[0]!, ls[2]!, ls[1]!, ls[3]!]);
    const broken = await run(["audit", "verify", "--state-dir", dir]);
    expect(broken.code).toBe(1);
    expect(broken.text).toMatch(/audit chain BROKEN at line 2 .*line 2 does not follow line 1/);
    fs.rmSync(file());
    expect(await run(["audit", "verify", "--state-dir", dir])).toMatchObject({
      code: 1,
      text: expect.stringMatching(/no audit log/),
    });
    expect((await run(["audit", "check", "--state-dir", dir])).code).toBe(2);
  });
});
