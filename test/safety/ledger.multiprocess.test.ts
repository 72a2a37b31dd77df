// Two OS processes racing for the same rolling cap through one state directory: BEGIN IMMEDIATE
// must let exactly as many reservations through as fit, never more.

import { expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { DAY_MS, openStateStore } from "../../src/safety/index.js";
import { runWorker } from "./helpers.js";

async function reserveInWorker(dir: string, startAt: number, tag: string) {
  return JSON.parse(await runWorker("reserve-worker.ts", [dir, String(startAt), tag])) as {
    ok: number;
    refused: number;
  };
}

it("two processes with 20 attempts each never reserve more than the cap between them", async ({
  stateDir: dir,
}) => {
  // Create the schema first so both workers race on reservations, not on the migration.
  (await openStateStore(dir)).close();
  const startAt = Date.now() + 2_500;
  const [a, b] = await Promise.all([reserveInWorker(dir, startAt, "a"), reserveInWorker(dir, startAt, "b")]);
  // 40 attempts of $100 against a $1,500 cap: exactly 15 fit.
  expect(a.ok + b.ok).toBe(15);
  expect(a.ok + a.refused + b.ok + b.refused).toBe(40);

  const store = await openStateStore(dir);
  expect(store.ledger.usedCents(new Date(), DAY_MS)).toBe(150_000);
  store.close();
}, 30_000);
