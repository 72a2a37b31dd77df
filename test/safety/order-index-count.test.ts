// The order index's payments figure (spacepay://account's index.payments, the metrics gauge) on both
// backends: it counts what the events add, a redelivered payment once, and it is kept by counting what
// each insert added, not by a COUNT(*) over the whole index per event (at 1,000,000 payments, a scan
// per webhook).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderIndex } from "../../src/safety/order-index-sync.js";
import type { OrderIndexStore } from "../../src/safety/order-index.js";
import type { SpacePayApi } from "../../src/spacepay/types.js";
import { PG_START_TIMEOUT_MS, stateBackends, type StatePlace } from "./backends.js";

describe.each(stateBackends())("order index figures ($name)", (backend) => {
  let place: StatePlace;
  beforeAll(async () => {
    place = await backend.fresh();
  }, PG_START_TIMEOUT_MS);
  afterAll(async () => place?.cleanup());

  it("counts recorded payments without a COUNT(*) per event", async () => {
    const store = (await place.open()).orderIndex;
    // One payment already indexed before this instance starts (another instance's, or a past run's).
    await store.record([{ id: "pay_before", orderId: "o-0", createdAt: 1_000, type: "payment" }]);
    let counts = 0;
    const counted: OrderIndexStore = { ...store, count: () => (counts++, store.count()) };
    // No backfill: nothing here reads SpacePay.
    const index = createOrderIndex({ store: async () => counted, api: {} as SpacePayApi, backfillMax: 0 });
    index.start();
    await index.close();
    expect(index.stats().payments).toBe(1);

    for (let i = 1; i <= 20; i++) {
      await index.record({ id: `pay_${i}`, orderId: `o-${i}`, createdAt: 1_000 + i, type: "payment" });
    }
    // A redelivered event for a payment already indexed adds nothing.
    await index.record({ id: "pay_3", orderId: "o-3", createdAt: 1_003, type: "payment" });
    expect(index.stats().payments).toBe(21);
    expect(await store.count()).toBe(21);
    // Once, at start.
    expect(counts).toBe(1);
  });

  it("counts events that arrive at the same time, each once", async () => {
    const store = (await place.open()).orderIndex;
    const index = createOrderIndex({ store: async () => store, api: {} as SpacePayApi, backfillMax: 0 });
    index.start();
    await index.close();
    const before = index.stats().payments;
    // Webhook deliveries are acted on concurrently: their inserts overlap.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        index.record({ id: `pay_at_once_${i}`, orderId: `once-${i}`, createdAt: 2_000 + i, type: "payment" }),
      ),
    );
    expect(index.stats().payments).toBe(before + 20);
    expect(await store.count()).toBe(before + 20);
  });
});
