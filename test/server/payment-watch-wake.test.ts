// The payment watcher's wake (what a verified webhook event calls): watchers hear the status SpacePay
// gave the receiver without another read, the next poll moves a full interval on, a final status ends
// the loop, a wake without a status reads at once, and an unwatched payment costs nothing. Fake timers
// and a counting client: the loop's clock is the only thing these depend on.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPaymentWatcher } from "../../src/server/payment-watch.js";
import type { PaymentStatus, SpacePayApi } from "../../src/spacepay/types.js";

let status: PaymentStatus;
let reads: number;
const api = {
  getPayment: async () => {
    reads++;
    return { data: { status } };
  },
} as unknown as SpacePayApi;

beforeEach(() => {
  vi.useFakeTimers();
  status = "pending" as PaymentStatus;
  reads = 0;
});
afterEach(() => vi.useRealTimers());

function watching(intervalMs: number, id = "pay_1") {
  const watcher = createPaymentWatcher(api, intervalMs);
  const heard: PaymentStatus[] = [];
  const leave = new AbortController();
  watcher.watch(id, { onStatus: (s) => void heard.push(s) }, leave.signal);
  return { watcher, heard, leave };
}

describe("PaymentWatcher.wake", () => {
  it("polls at an interval above a minute when configured (the webhook safety net)", async () => {
    const { leave } = watching(120_000);
    await vi.advanceTimersByTimeAsync(119_000);
    expect(reads).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toBe(1);
    leave.abort();
  });

  it("hands watchers the status it is given without a read, and the next poll is a full interval later", async () => {
    const { watcher, heard, leave } = watching(60_000);
    await vi.advanceTimersByTimeAsync(50_000);
    watcher.wake("pay_1", "processing" as PaymentStatus);
    expect(heard).toEqual(["processing"]);
    expect(reads).toBe(0);
    // Not at 60 s from the start, where the loop would have polled: 60 s from the wake.
    await vi.advanceTimersByTimeAsync(59_000);
    expect(reads).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toBe(1);
    leave.abort();
  });

  it("ends the loop at a final status", () => {
    const { watcher, heard } = watching(60_000);
    watcher.wake("pay_1", "completed" as PaymentStatus);
    expect(heard).toEqual(["completed"]);
    expect(watcher.active()).toBe(0);
  });

  it("reads at once when woken without a status", async () => {
    const { watcher, heard, leave } = watching(60_000);
    status = "completed" as PaymentStatus;
    watcher.wake("pay_1");
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(1);
    expect(heard).toEqual(["completed"]);
    leave.abort();
  });

  it("does nothing for a payment nobody watches", async () => {
    const { watcher, heard, leave } = watching(60_000);
    watcher.wake("pay_other", "completed" as PaymentStatus);
    watcher.wake("pay_other");
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(0);
    expect(heard).toEqual([]);
    expect(watcher.active()).toBe(1);
    leave.abort();
  });
});

describe("the sweep (the safety net with webhooks)", () => {
  it("reads 500 watched payments with one list request per open status, and by id only the one not listed", async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `pay_${i}`);
    const calls = { list: [] as string[], get: [] as string[] };
    const sweepApi = {
      listPayments: async (q: { status: string; offset: number }) => {
        calls.list.push(`${q.status}@${q.offset}`);
        // Every payment but the last is still pending; the last completed (it is in neither list).
        const data = q.status === "pending" ? ids.slice(0, -1).map((id) => ({ id, status: "pending" })) : [];
        return { data: { data, pagination: { hasMore: false } } };
      },
      getPayment: async (id: string) => {
        calls.get.push(id);
        return { data: { status: "completed" } };
      },
    } as unknown as SpacePayApi;
    const watcher = createPaymentWatcher(sweepApi, 60_000, { sweep: true });
    const heard = new Map<string, PaymentStatus[]>();
    const leave = new AbortController();
    for (const id of ids)
      watcher.watch(id, { onStatus: (s) => void heard.set(id, [...(heard.get(id) ?? []), s]) }, leave.signal);

    await vi.advanceTimersByTimeAsync(59_000);
    expect(calls).toEqual({ list: [], get: [] });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls.list).toEqual(["pending@0", "processing@0"]);
    expect(calls.get).toEqual(["pay_499"]);
    expect(heard.get("pay_0")).toEqual(["pending"]);
    expect(heard.get("pay_499")).toEqual(["completed"]);
    // The completed one is no longer watched; the next minute costs the same two lists.
    expect(watcher.active()).toBe(499);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.list).toHaveLength(4);
    expect(calls.get).toEqual(["pay_499"]);
    leave.abort();
    watcher.close();
  });
});
