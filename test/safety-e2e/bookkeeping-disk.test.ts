// Issue #11 item 3 on a real, nearly full filesystem: a tiny tmpfs holds the state directory, filled
// until the audit file has 100 bytes left in its last page. The intent line then gets a short write
// (then ENOSPC): nothing may be sent, and once space is back the log is still readable.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import type { AuditEntry } from "../../src/safety/audit.js";
import type { Harness } from "../helpers/mcp-harness.js";
import { startListedHarness, withdrawal, withdrawalPosts } from "./helpers.js";
import { textOf, type ToolResult } from "../helpers/mcp-harness.js";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const PAGE = 4096;

let mounted: string | undefined;
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  // Lazy: a handle still open after a failed assertion must not leave the mount behind.
  if (mounted) execFileSync("umount", ["-l", mounted]);
  mounted = undefined;
});

/** Writes `file` full, page by page, until the filesystem says ENOSPC. */
function fillUp(file: string): void {
  const fd = fs.openSync(file, "w");
  const page = Buffer.alloc(PAGE, 1);
  try {
    for (;;) fs.writeSync(fd, page);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    fs.closeSync(fd);
  }
}

it.skipIf(!isRoot)(
  "a nearly full disk (real tmpfs; skipped unless root, which mounting one needs): a short write of the intent sends nothing",
  async ({ tempDir }) => {
    const root = tempDir();
    const stateDir = path.join(root, "state");
    fs.mkdirSync(stateDir);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", stateDir]);
    mounted = stateDir;

    h = await startListedHarness({ stateDir });
    const first: ToolResult = await h.call("create_withdrawal", withdrawal());
    expect(first.isError, textOf(first)).toBeFalsy();

    // Give SQLite room it will reuse (a grown WAL, checkpointed; free pages in the database), so the
    // disk is full for the audit file only.
    const db = new Database(path.join(stateDir, "state.sqlite"));
    try {
      db.exec("CREATE TABLE pad (x BLOB)");
      const insert = db.prepare("INSERT INTO pad VALUES (?)");
      for (let i = 0; i < 16; i++) insert.run(Buffer.alloc(PAGE));
      db.exec("DROP TABLE pad");
      db.pragma("wal_checkpoint(PASSIVE)");
    } finally {
      db.close();
    }

    // Leave exactly 100 bytes in the audit file's last page, then fill the filesystem.
    const audit = path.join(stateDir, "audit.jsonl");
    const pad = (PAGE - 100 - (fs.statSync(audit).size % PAGE) + PAGE) % PAGE;
    if (pad) fs.appendFileSync(audit, " ".repeat(pad - 1) + "\n");
    expect(fs.statSync(audit).size % PAGE).toBe(PAGE - 100);
    const filler = path.join(stateDir, "filler");
    fillUp(filler);

    const before = withdrawalPosts(h.sim).length;
    const args = withdrawal();
    const res: ToolResult = await h.call("create_withdrawal", args);
    expect(res.isError, textOf(res)).toBe(true);
    expect(textOf(res)).toMatch(/nothing was sent/i);
    expect(textOf(res)).not.toMatch(/may have gone through/i);
    expect(withdrawalPosts(h.sim).length).toBe(before);

    // Space is back: the next withdrawal goes through, and its lines are whole despite the torn one.
    fs.rmSync(filler);
    const next: ToolResult = await h.call("create_withdrawal", withdrawal());
    expect(next.isError, textOf(next)).toBeFalsy();
    expect(withdrawalPosts(h.sim).length).toBe(before + 1);
    const lines = fs
      .readFileSync(audit, "utf8")
      .split("\n")
      .filter((l) => l.trim());
    const unreadable = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    // Only the torn 100 bytes of the refused intent, on a line of their own.
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toMatch(/^\{"time":/);
    const last = JSON.parse(lines.at(-1)!) as AuditEntry;
    expect(last).toMatchObject({ event: "outcome", outcome: "done" });
  },
);
