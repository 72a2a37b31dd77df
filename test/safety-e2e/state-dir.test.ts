// Issue #11 item 7 and the failed-first-open retry: the state directory is trusted only once checked
// (ours, private, files that are regular files and not symlinks). Until then money tools refuse,
// naming the path and the fix, while read tools keep working; fixing it needs no restart.
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { Harness } from "../helpers/mcp-harness.js";
import { startListedHarness, withdrawal, withdrawalPosts } from "./helpers.js";
import { textOf, type ToolResult } from "../helpers/mcp-harness.js";

let sim: SimulatorHandle;
let root: string;
let opened: Harness[] = [];

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 20 });
});
it.beforeEach(({ stateDir }) => {
  root = stateDir;
});
afterEach(async () => {
  for (const h of opened) await h.close();
  opened = [];
});
afterAll(() => sim.close());

async function server(stateDir: string): Promise<Harness> {
  const h = await startListedHarness({ sharedSim: sim, stateDir });
  opened.push(h);
  return h;
}

/** A withdrawal refused before anything reached SpacePay, with a message naming `what`. */
async function expectRefusedNaming(h: Harness, ...what: string[]): Promise<void> {
  const before = withdrawalPosts(sim).length;
  const res: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(res.isError, textOf(res)).toBe(true);
  expect(res.structuredContent.status).toBe("refused");
  const text = textOf(res);
  for (const w of what) expect(text).toContain(w);
  expect(text).toMatch(/Nothing was sent/);
  expect(withdrawalPosts(sim).length).toBe(before);
}

it("a world-writable state directory: money tools refuse naming the path and the fix, read tools work, chmod 700 fixes it without a restart", async () => {
  const dir = path.join(root, "state");
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o777);
  const h = await server(dir);

  await expectRefusedNaming(h, dir, "writable by everyone", `chmod 700 ${dir}`);
  // Nothing was written into the untrusted directory.
  expect(fs.readdirSync(dir)).toEqual([]);
  const list: ToolResult = await h.call("list_withdrawals", {});
  expect(list.isError, textOf(list)).toBeFalsy();
  const balances: ToolResult = await h.call("get_wallet_balances", {});
  expect(balances.isError, textOf(balances)).toBeFalsy();

  fs.chmodSync(dir, 0o700);
  const res: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(res.structuredContent.status).toBe("done");
});

it("a group-writable state directory is refused too", async () => {
  const dir = path.join(root, "state");
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o770);
  const h = await server(dir);
  await expectRefusedNaming(h, dir, "writable by its group");
});

it("a missing state directory is created 0700", async () => {
  const dir = path.join(root, "a", "b");
  const h = await server(dir);
  const res: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
});

/** A private state directory whose `name` is a symbolic link to a 0644 file outside holding `content`, and a server on it. */
async function serverWithSymlinked(name: string, target: string, content: string) {
  const dir = path.join(root, "state");
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(target, content, { mode: 0o644 });
  fs.symlinkSync(target, path.join(dir, name));
  return { dir, h: await server(dir) };
}

it("a symlinked audit.jsonl is refused and the file it points to is left untouched", async () => {
  const target = path.join(root, "elsewhere.txt");
  const { dir, h } = await serverWithSymlinked("audit.jsonl", target, "not an audit log\n");

  await expectRefusedNaming(h, path.join(dir, "audit.jsonl"), "symbolic link");
  expect(fs.readFileSync(target, "utf8")).toBe("not an audit log\n");
  expect(fs.statSync(target).mode & 0o777).toBe(0o644);
  const list: ToolResult = await h.call("list_withdrawals", {});
  expect(list.isError, textOf(list)).toBeFalsy();
});

it("a symlinked state database is refused and the file it points to is left untouched", async () => {
  const target = path.join(root, "elsewhere.sqlite");
  const { dir, h } = await serverWithSymlinked("state.sqlite", target, "");

  await expectRefusedNaming(h, path.join(dir, "state.sqlite"), "symbolic link");
  expect(fs.statSync(target).size).toBe(0);
  expect(fs.statSync(target).mode & 0o777).toBe(0o644);
  expect(fs.existsSync(path.join(dir, "audit.jsonl"))).toBe(false);
});

it("a failed first open of the state store is retried on the next money call, not kept until restart", async () => {
  // A regular file where the directory should be: the open fails.
  const dir = path.join(root, "state");
  fs.writeFileSync(dir, "");
  const h = await server(dir);
  await expectRefusedNaming(h, dir, "is not a directory");

  fs.rmSync(dir);
  const second: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(second.isError, textOf(second)).toBeFalsy();
  expect(second.structuredContent.status).toBe("done");
  expect(fs.statSync(dir).isDirectory()).toBe(true);
});

it("SPACEPAY_STATE_DIR is resolved to an absolute path once", async () => {
  const cwd = process.cwd();
  process.chdir(root);
  let h: Harness;
  try {
    h = await server("relative-state");
  } finally {
    process.chdir(cwd);
  }
  expect(h.runtime.stateDir).toBe(path.join(fs.realpathSync(root), "relative-state"));
  // Used after the working directory changed back, it still lands under `root`.
  const res: ToolResult = await h.call("create_withdrawal", withdrawal());
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(fs.existsSync(path.join(root, "relative-state", "audit.jsonl"))).toBe(true);
});
