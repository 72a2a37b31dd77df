// The upstream budget's rules on a clock the test moves: its rate and burst, first come first served,
// an abandoned wait takes nothing, and a 429 pauses it for the Retry-After and halves it, after which
// it climbs back.
import { describe, expect, it } from "vitest";
import { RECOVERY_MS, RequestBudget, type BudgetClock } from "../../src/spacepay/budget.js";

/** A clock whose time moves only when the test says, running due timers as it goes. */
function manualClock() {
  let now = 0;
  type Timer = { at: number; fn: () => void; unref(): void };
  const timers = new Set<Timer>();
  const clock: BudgetClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, unref: () => {} };
      timers.add(t);
      return t;
    },
    clearTimeout: (t) => void timers.delete(t as Timer),
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      timers.delete(next);
      now = next.at;
      next.fn();
      await Promise.resolve();
    }
    now = end;
    await Promise.resolve();
  };
  return { clock, advance };
}

/** Starts `n` takes and counts the ones granted so far. */
function takes(budget: RequestBudget, n: number, signal?: AbortSignal) {
  const granted: number[] = [];
  const all = Array.from({ length: n }, (_, i) =>
    budget.take(signal).then(
      () => void granted.push(i),
      () => {},
    ),
  );
  return { granted, all };
}

describe("RequestBudget", () => {
  it("grants a second's burst at once, then the rate, in the order asked", async () => {
    const { clock, advance } = manualClock();
    const budget = new RequestBudget(10, clock);
    const { granted } = takes(budget, 40);
    await advance(0);
    expect(granted).toHaveLength(10);
    await advance(1_000);
    expect(granted).toHaveLength(20);
    await advance(500);
    expect(granted).toHaveLength(25);
    expect(granted).toEqual([...Array(25).keys()]);
    expect(budget.stats()).toMatchObject({ waiting: 15, granted: 25, waited: 30 });
  });

  it("tells its listener of each request that has to wait (the metrics' budget waits), and of no other", async () => {
    const { clock, advance } = manualClock();
    let heard = 0;
    const budget = new RequestBudget(2, clock, () => heard++);
    takes(budget, 5);
    await advance(0);
    expect(heard).toBe(3);
    expect(budget.stats().waited).toBe(3);
  });

  it("takes nothing for a wait abandoned before its turn", async () => {
    const { clock, advance } = manualClock();
    const budget = new RequestBudget(2, clock);
    takes(budget, 2);
    const leave = new AbortController();
    const dropped = takes(budget, 5, leave.signal);
    const kept = takes(budget, 2);
    await advance(0);
    leave.abort();
    await advance(1_000);
    expect(dropped.granted).toHaveLength(0);
    expect(kept.granted).toHaveLength(2);
    expect(budget.stats().waiting).toBe(0);
  });

  it("a 429 pauses grants for its Retry-After, then halves the rate, which climbs back", async () => {
    const { clock, advance } = manualClock();
    const budget = new RequestBudget(10, clock);
    const { granted } = takes(budget, 200);
    await advance(0);
    expect(granted).toHaveLength(10);
    budget.throttled(3_000);
    // Answers to requests already in flight come together: still one halving.
    budget.throttled(3_000);
    expect(budget.stats()).toMatchObject({ throttled: 2, ratePerSecond: 5, pausedMs: 3_000 });
    await advance(2_999);
    expect(granted).toHaveLength(10);
    await advance(1_001);
    // One second after the pause: about half the budget (5, and a little recovery).
    expect(granted.length - 10).toBeGreaterThanOrEqual(4);
    expect(granted.length - 10).toBeLessThanOrEqual(6);
    await advance(RECOVERY_MS);
    expect(budget.stats().ratePerSecond).toBe(10);
  });

  it("a 429 without Retry-After pauses for a second, then grants at half the rate", async () => {
    const { clock, advance } = manualClock();
    const budget = new RequestBudget(10, clock);
    budget.throttled(null);
    const { granted } = takes(budget, 1);
    // The first grant after the pause comes a fifth of a second later (5 per second).
    await advance(1_150);
    expect(granted).toHaveLength(0);
    await advance(100);
    expect(granted).toHaveLength(1);
  });
});
