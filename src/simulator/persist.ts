// A simulated world saved to one JSON file and loaded back: payments, withdrawals, wallets, balances,
// the clock, the id stream and idempotency outcomes. Demo mode uses it so that a client starting one
// server process per call (the Inspector CLI, for one) keeps seeing the payments it created.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Entry, IdempotencyStore } from "./idempotency.js";
import type { DepositAddress, Payment, Withdrawal } from "./model.js";
import { createRng } from "./rng.js";
import type { Sim } from "./state.js";

const VERSION = 1;

interface SavedWorld {
  version: number;
  now: number;
  ids: number[];
  payments: Payment[];
  withdrawals: Withdrawal[];
  customerWallets: Array<[string, DepositAddress]>;
  balances: Array<[string, bigint]>;
  idempotency: Array<[string, Entry]>;
  /** The port it listened on: payment links handed out (and replayed) name it, so the next run reuses it. */
  port?: number;
}

// Token amounts are BigInt; JSON has no such type.
const toJson = (_: string, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v);
const fromJson = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && typeof (v as { $bigint?: unknown }).$bigint === "string"
    ? BigInt((v as { $bigint: string }).$bigint)
    : v;

export function saveWorld(file: string, sim: Sim, idempotency: IdempotencyStore): void {
  const world: SavedWorld = {
    version: VERSION,
    now: sim.now(),
    ids: sim.ids.state(),
    payments: sim.store.paymentOrder,
    withdrawals: sim.store.withdrawalOrder,
    customerWallets: [...sim.store.customerWallets],
    balances: [...sim.store.balances],
    idempotency: idempotency.finished(),
    port: Number(new URL(sim.baseUrl || "http://127.0.0.1:0").port) || undefined,
  };
  // Write then rename: a process killed mid-write leaves the previous world, not half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(world, toJson), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The port the saved world's simulator listened on, if any. */
export function savedPort(file: string): number | undefined {
  try {
    const port = (JSON.parse(readFileSync(file, "utf8")) as Partial<SavedWorld>).port;
    return Number.isInteger(port) && port! > 0 && port! < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the simulator's world with the saved one; false when there is none (or it is unreadable). */
export function loadWorld(file: string, sim: Sim, idempotency: IdempotencyStore): boolean {
  if (!existsSync(file)) return false;
  let world: SavedWorld;
  try {
    world = JSON.parse(readFileSync(file, "utf8"), fromJson) as SavedWorld;
  } catch {
    return false;
  }
  if (world.version !== VERSION) return false;
  const store = sim.store;
  store.clear();
  store.addPaymentsSorted(world.payments);
  for (const w of world.withdrawals) store.addWithdrawal(w);
  for (const [ref, wallet] of world.customerWallets) store.customerWallets.set(ref, wallet);
  for (const [chain, balance] of world.balances) store.balances.set(chain, balance);
  sim.ids = createRng(sim.config.seed, "ids", world.ids);
  // Time kept moving while no process ran; only an advanced clock needs carrying over.
  sim.clock.advance(Math.max(0, world.now - sim.now()));
  idempotency.clear();
  idempotency.restore(world.idempotency);
  return true;
}
