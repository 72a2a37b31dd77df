// Two OS processes racing for the same rolling cap through one state directory: BEGIN IMMEDIATE
// must let exactly as many reservations through as fit, never more.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { DAY_MS, openStateStore } from "../../src/safety/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const worker = path.join(here, "fixtures", "reserve-worker.ts");

function runWorker(dir: string, startAt: number, tag: string): Promise<{ ok: number; refused: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, dir, String(startAt), tag], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`worker ${tag} exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as { ok: number; refused: number });
    });
  });
}

it("two processes with 20 attempts each never reserve more than the cap between them", async ({
  stateDir: dir,
}) => {
  // Create the schema first so both workers race on reservations, not on the migration.
  (await openStateStore(dir)).close();
  const startAt = Date.now() + 2_500;
  const [a, b] = await Promise.all([runWorker(dir, startAt, "a"), runWorker(dir, startAt, "b")]);
  // 40 attempts of $100 against a $1,500 cap: exactly 15 fit.
  expect(a.ok + b.ok).toBe(15);
  expect(a.ok + a.refused + b.ok + b.refused).toBe(40);

  const store = await openStateStore(dir);
  expect(store.ledger.usedCents(new Date(), DAY_MS)).toBe(150_000);
  store.close();
}, 30_000);
