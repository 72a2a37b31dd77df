// The withdrawal ledger on both backends: the rolling 24-hour cap, resumable reservations, and which
// outcomes keep counting.
import { describe, expect, it } from "vitest";
import { DAY_MS, type ReserveRequest } from "../../src/safety/index.js";
import { stateBackends, useFreshPlace } from "./backends.js";
import { fakeClock } from "./helpers.js";

const clock = fakeClock();
/** Where a ledger entry's audit intent landed (any mark: the ledger only keeps it). */
const intent = (seq: number) => ({ seq, hash: String(seq % 10).repeat(64) });

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

describe.each(stateBackends())("withdrawal ledger on $name", (backend) => {
  const at = useFreshPlace(backend);

  it("reserves up to the cap and refuses the one that would cross it, reporting what is used", async () => {
    expect((await at.store.ledger.reserve(req(6_000))).ok).toBe(true);
    expect((await at.store.ledger.reserve(req(4_000))).ok).toBe(true);
    expect(await at.store.ledger.reserve(req(1))).toEqual({
      ok: false,
      reason: "cap",
      usedCents: 10_000,
      capCents: 10_000,
    });
  });

  it("lets entries older than 24 hours fall out of the window", async () => {
    expect((await at.store.ledger.reserve(req(10_000))).ok).toBe(true);
    clock.advance(DAY_MS - 1000);
    expect((await at.store.ledger.reserve(req(1))).ok).toBe(false);
    clock.advance(1000);
    expect((await at.store.ledger.reserve(req(5_000))).ok).toBe(true);
    expect(await at.store.ledger.usedCents(clock.now(), DAY_MS)).toBe(5_000);
  });

  it("keeps counting sent and done entries; stops counting failed ones", async () => {
    const a = await at.store.ledger.reserve(req(1_000));
    const b = await at.store.ledger.reserve(req(2_000));
    const c = await at.store.ledger.reserve(req(3_000));
    if (!a.ok || !b.ok || !c.ok) throw new Error("reserve failed");
    await at.store.ledger.markSent(a.reservationId, clock.now(), intent(1));
    await at.store.ledger.markSent(b.reservationId, clock.now(), intent(2));
    await at.store.ledger.markDone(b.reservationId, "wd_1", clock.now());
    await at.store.ledger.markSent(c.reservationId, clock.now(), intent(3));
    await at.store.ledger.markFailed(c.reservationId, clock.now());
    expect(await at.store.ledger.usedCents(clock.now(), DAY_MS)).toBe(3_000);
    expect(await at.store.ledger.get(b.reservationId)).toMatchObject({
      status: "done",
      withdrawalId: "wd_1",
      intent: intent(2),
    });
  });

  it("resumes an existing reservation for the same key without counting it twice", async () => {
    const first = await at.store.ledger.reserve(
      req(8_000, { idempotencyKey: "same", argsFingerprint: "fp-same" }),
    );
    const again = await at.store.ledger.reserve(
      req(8_000, { idempotencyKey: "same", argsFingerprint: "fp-same" }),
    );
    expect(first.ok && again.ok && again.resumed && again.reservationId === first.reservationId).toBe(true);
    expect(await at.store.ledger.usedCents(clock.now(), DAY_MS)).toBe(8_000);
  });

  it("does not move a resumed, already settled entry back to sent", async () => {
    const r = await at.store.ledger.reserve(
      req(100, { idempotencyKey: "k-done", argsFingerprint: "fp-done" }),
    );
    if (!r.ok) throw new Error("reserve failed");
    await at.store.ledger.markDone(r.reservationId, "wd_9", clock.now());
    await at.store.ledger.markSent(r.reservationId, clock.now(), intent(4));
    // Nor does it take the later intent's mark: it keeps the one it was sent with (none here).
    expect(await at.store.ledger.get(r.reservationId)).toMatchObject({ status: "done", intent: null });
  });

  it("refuses a key already used for a withdrawal with other arguments", async () => {
    await at.store.ledger.reserve(req(100, { idempotencyKey: "shared", argsFingerprint: "fp-a" }));
    const clash = await at.store.ledger.reserve(
      req(100, { idempotencyKey: "shared", argsFingerprint: "fp-b" }),
    );
    expect(clash).toMatchObject({ ok: false, reason: "key_conflict" });
  });

  it("finds the unresolved entry for the same arguments, and forgets it once settled", async () => {
    const r = await at.store.ledger.reserve(
      req(100, { argsFingerprint: "fp-retry", idempotencyKey: "k-retry" }),
    );
    if (!r.ok) throw new Error("reserve failed");
    await at.store.ledger.markSent(r.reservationId, clock.now(), intent(5));
    expect((await at.store.ledger.findUnresolved("fp-retry"))?.idempotencyKey).toBe("k-retry");
    await at.store.ledger.markDone(r.reservationId, "wd_2", clock.now());
    expect(await at.store.ledger.findUnresolved("fp-retry")).toBeUndefined();
  });

  it("two connections reserving at once never exceed the cap together", async () => {
    const other = await at.place.open();
    const attempts = [at.store, other].flatMap((s, who) =>
      Array.from({ length: 10 }, (_, i) =>
        s.ledger.reserve(
          req(1_500, { argsFingerprint: `fp-c${who}-${i}`, idempotencyKey: `k-c${who}-${i}` }),
        ),
      ),
    );
    const results = await Promise.all(attempts);
    // 10_000 / 1_500: six fit, the other fourteen are refused for the cap.
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    expect(results.filter((r) => !r.ok && r.reason === "cap")).toHaveLength(14);
    expect(await other.ledger.usedCents(clock.now(), DAY_MS)).toBe(9_000);
  });
});
