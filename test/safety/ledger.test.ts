// The withdrawal ledger: the rolling 24-hour cap, resumable reservations, and which outcomes keep counting.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, openStateStore, type ReserveRequest, type StateStore } from "../../src/safety/index.js";
import { fakeClock, removeDir, tempDir } from "./helpers.js";

let dir: string;
let store: StateStore;
const clock = fakeClock();
beforeEach(async () => {
  dir = tempDir();
  store = await openStateStore(dir);
});
afterEach(() => {
  store.close();
  removeDir(dir);
});

let n = 0;
function req(amountCents: number, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
  n++;
  return {
    amountCents,
    capCents: 10_000,
    windowMs: DAY_MS,
    now: clock.now(),
    argsFingerprint: `fp-${n}`,
    idempotencyKey: `key-${n}`,
    ...overrides,
  };
}

describe("withdrawal ledger", () => {
  it("reserves up to the cap and refuses the one that would cross it, reporting what is used", () => {
    expect(store.ledger.reserve(req(6_000)).ok).toBe(true);
    expect(store.ledger.reserve(req(4_000)).ok).toBe(true);
    expect(store.ledger.reserve(req(1))).toEqual({
      ok: false,
      reason: "cap",
      usedCents: 10_000,
      capCents: 10_000,
    });
  });

  it("lets entries older than 24 hours fall out of the window", () => {
    expect(store.ledger.reserve(req(10_000)).ok).toBe(true);
    clock.advance(DAY_MS - 1000);
    expect(store.ledger.reserve(req(1)).ok).toBe(false);
    clock.advance(1000);
    expect(store.ledger.reserve(req(5_000)).ok).toBe(true);
    expect(store.ledger.usedCents(clock.now(), DAY_MS)).toBe(5_000);
  });

  it("keeps counting sent and done entries; stops counting failed ones", () => {
    const a = store.ledger.reserve(req(1_000));
    const b = store.ledger.reserve(req(2_000));
    const c = store.ledger.reserve(req(3_000));
    if (!a.ok || !b.ok || !c.ok) throw new Error("reserve failed");
    store.ledger.markSent(a.reservationId, clock.now());
    store.ledger.markSent(b.reservationId, clock.now());
    store.ledger.markDone(b.reservationId, "wd_1", clock.now());
    store.ledger.markSent(c.reservationId, clock.now());
    store.ledger.markFailed(c.reservationId, clock.now());
    expect(store.ledger.usedCents(clock.now(), DAY_MS)).toBe(3_000);
    expect(store.ledger.get(b.reservationId)).toMatchObject({ status: "done", withdrawalId: "wd_1" });
  });

  it("resumes an existing reservation for the same key without counting it twice", () => {
    const first = store.ledger.reserve(req(8_000, { idempotencyKey: "same", argsFingerprint: "fp-same" }));
    const again = store.ledger.reserve(req(8_000, { idempotencyKey: "same", argsFingerprint: "fp-same" }));
    expect(first.ok && again.ok && again.resumed && again.reservationId === first.reservationId).toBe(true);
    expect(store.ledger.usedCents(clock.now(), DAY_MS)).toBe(8_000);
  });

  it("does not move a resumed, already settled entry back to sent", () => {
    const r = store.ledger.reserve(req(100, { idempotencyKey: "k-done", argsFingerprint: "fp-done" }));
    if (!r.ok) throw new Error("reserve failed");
    store.ledger.markDone(r.reservationId, "wd_9", clock.now());
    store.ledger.markSent(r.reservationId, clock.now());
    expect(store.ledger.get(r.reservationId)?.status).toBe("done");
  });

  it("refuses a key already used for a withdrawal with other arguments", () => {
    store.ledger.reserve(req(100, { idempotencyKey: "shared", argsFingerprint: "fp-a" }));
    const clash = store.ledger.reserve(req(100, { idempotencyKey: "shared", argsFingerprint: "fp-b" }));
    expect(clash).toMatchObject({ ok: false, reason: "key_conflict" });
  });

  it("finds the unresolved entry for the same arguments, and forgets it once settled", () => {
    const r = store.ledger.reserve(req(100, { argsFingerprint: "fp-retry", idempotencyKey: "k-retry" }));
    if (!r.ok) throw new Error("reserve failed");
    store.ledger.markSent(r.reservationId, clock.now());
    expect(store.ledger.findUnresolved("fp-retry")?.idempotencyKey).toBe("k-retry");
    store.ledger.markDone(r.reservationId, "wd_2", clock.now());
    expect(store.ledger.findUnresolved("fp-retry")).toBeUndefined();
  });
});
