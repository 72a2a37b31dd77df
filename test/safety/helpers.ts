// Shared fixtures for the safety tests: a default policy, summaries, a guard on fresh state per test,
// and a fake SpacePay that honours idempotency keys the way the API does (same key, same result, replayed).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach } from "vitest";
import type { Mode, MoneySummary } from "../../src/domain.js";
import {
  createGuard,
  openState,
  type ExecuteResult,
  type SafetyPolicy,
  type StateStore,
} from "../../src/safety/index.js";
import { makeTempDir, removeTempDir } from "../helpers/fixtures.js";

export function policy(overrides: Partial<SafetyPolicy> = {}): SafetyPolicy {
  return {
    confirm: "token",
    confirmTimeoutMs: 120_000,
    confirmTtlSeconds: 600,
    maxWithdrawalCents: 100_000,
    dailyWithdrawalLimitCents: 500_000,
    maxPaymentCents: 100_000_000,
    withdrawalAllowlist: null,
    allowLiveWithdrawals: false,
    ...overrides,
  };
}

export const RECIPIENT = "0x1111111111111111111111111111111111111111";
export const CHAIN = "eip155:84532";

export interface WithdrawalArgs extends Record<string, unknown> {
  amountInCents: number;
  chainId: string;
  recipientAddress: string;
  orderId?: string;
  confirmationToken?: string;
  idempotencyKey?: string;
}

export function withdrawalArgs(overrides: Partial<WithdrawalArgs> = {}): WithdrawalArgs {
  return { amountInCents: 2_500, chainId: CHAIN, recipientAddress: RECIPIENT, orderId: "wd-1", ...overrides };
}

export function withdrawalSummary(args: WithdrawalArgs): MoneySummary {
  return {
    action: "create_withdrawal",
    amountInCents: args.amountInCents,
    currency: "USD",
    orderId: args.orderId,
    chainId: args.chainId,
    recipientAddress: args.recipientAddress,
  };
}

export function paymentSummary(
  args: Record<string, unknown>,
  action: MoneySummary["action"] = "create_payment",
): MoneySummary {
  return {
    action,
    amountInCents: action === "create_deposit" ? null : (args.amountInCents as number),
    currency: "USD",
    orderId: args.orderId as string,
  };
}

/** A fake SpacePay: one object per idempotency key, replayed on repeats. */
export function fakeApi(prefix = "wd") {
  const byKey = new Map<string, string>();
  const keys: string[] = [];
  const execute = async (key: string): Promise<ExecuteResult> => {
    keys.push(key);
    let id = byKey.get(key);
    const replayed = id !== undefined;
    if (!id) {
      id = `${prefix}_${byKey.size + 1}`;
      byKey.set(key, id);
    }
    const idName = prefix === "wd" ? "withdrawalId" : "paymentId";
    return {
      result: { structured: { [idName]: id }, text: `Created ${id}.` },
      ids: { [idName]: id },
      requestId: `req_${keys.length}`,
      replayed,
    };
  };
  return { execute, keys, created: () => byKey.size };
}

/** A mutable clock for expiry and rolling-window tests. */
export function fakeClock(start = "2025-06-01T12:00:00Z") {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export function fileMode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/**
 * Registers the hooks of a file whose tests run the guard on real state: each test gets a fresh state
 * directory and fake clock, and every store it opened is closed (and the directory removed) after it.
 */
export function useGuardState() {
  let dir = "";
  let clock = fakeClock();
  const opened: StateStore[] = [];
  const closeAll = async () => {
    for (const store of opened.splice(0)) await store.close();
    if (dir) removeTempDir(dir);
    dir = "";
  };
  beforeEach(() => {
    dir = makeTempDir();
    clock = fakeClock();
  });
  afterEach(closeAll);
  return {
    get clock() {
      return clock;
    },
    set clock(next: ReturnType<typeof fakeClock>) {
      clock = next;
    },
    /** The state (opened again on the same directory: a restart) and a guard on it. */
    async open(overrides: Partial<SafetyPolicy> = {}, mode: Mode = "test") {
      const store = await openState({ stateDir: dir });
      opened.push(store);
      const guard = createGuard({
        policy: policy(overrides),
        mode,
        store,
        merchantKeyFingerprint: "merchant-fp",
        now: () => clock.now(),
      });
      return { guard, store, audit: store.audit };
    },
    /** Leaves `store` out of the closing after the test (the test closed it itself). */
    forget(store: StateStore) {
      opened.splice(opened.indexOf(store), 1);
    },
    /** Closes everything and starts over on a new state directory. */
    async fresh() {
      await closeAll();
      dir = makeTempDir();
    },
  };
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Runs `test/safety/fixtures/<worker>` in its own node process (a second process on the same state) and
 * resolves with its stdout; a non-zero exit rejects with its stderr.
 */
export function runWorker(worker: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "fixtures", worker), ...args], {
      cwd: path.resolve(HERE, "../.."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${worker} ${args.join(" ")} exited ${code}: ${err}`)),
    );
  });
}
