// The approvals store on both backends: the roster, one-time enrollment links, one pending approval
// per identical call, distinct approvers, final declines, single-use challenges, and two instances.
import { afterEach, describe, expect, it } from "vitest";
import type { NewApproval } from "../../src/safety/approvals.js";
import { PG_START_TIMEOUT_MS, stateBackends, type StatePlace } from "../safety/backends.js";

const backends = stateBackends();
const T0 = new Date("2026-12-06T05:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const KEY = { publicKey: "cHVibGlj", counter: 0, transports: ["internal"] };

const call = (over: Partial<NewApproval> = {}): NewApproval => ({
  identity: "identity-1",
  tool: "create_withdrawal",
  caller: null,
  mode: "test",
  idempotencyKey: "key-1",
  summary: { action: "create_withdrawal", amountInCents: 2500, currency: "USD", chainId: "eip155:8453" },
  needed: 1,
  now: T0,
  ttlMs: 600_000,
  ...over,
});

describe.each(backends)("approvals store on $name", (backend) => {
  let place: StatePlace;
  afterEach(async () => place?.cleanup());

  const enroll = async (name: string, credentialId: string, subject: string | null = null) => {
    const { approvals } = await place.open();
    const id = await approvals.createEnrollment(name, subject, T0, 900_000);
    expect(await approvals.completeEnrollment(id, { credentialId, ...KEY }, at(1000))).toBe(true);
    return id;
  };

  it(
    "an enrollment link registers one passkey, once, and not after it expires",
    async () => {
      place = await backend.fresh();
      const { approvals } = await place.open();
      expect(await approvals.enrolledCount()).toBe(0);
      const id = await approvals.createEnrollment("Ada", "sub-ada", T0, 900_000);
      expect(await approvals.enrollment(id)).toMatchObject({
        approver: "Ada",
        subject: "sub-ada",
        state: "open",
      });
      expect(await approvals.completeEnrollment(id, { credentialId: "c1", ...KEY }, at(1000))).toBe(true);
      expect(await approvals.completeEnrollment(id, { credentialId: "c2", ...KEY }, at(2000))).toBe(false);
      const late = await approvals.createEnrollment("Bob", null, T0, 900_000);
      expect(await approvals.completeEnrollment(late, { credentialId: "c3", ...KEY }, at(900_001))).toBe(
        false,
      );
      expect(await approvals.listApprovers()).toEqual([
        { name: "Ada", subject: "sub-ada", passkeys: 1, createdAt: T0.getTime() + 1000, lastUsedAt: null },
      ]);
      expect(await approvals.enrolledCount()).toBe(1);
      expect(await approvals.enrollment("never-issued")).toBeUndefined();
    },
    PG_START_TIMEOUT_MS,
  );

  it("identical calls share one pending approval; distinct approvers are counted once each", async () => {
    place = await backend.fresh();
    await enroll("Ada", "c1");
    await enroll("Bob", "c2");
    const { approvals } = await place.open();
    const first = await approvals.open(call({ needed: 2 }));
    const again = await approvals.open(call({ needed: 2, now: at(5000), idempotencyKey: "other" }));
    expect(again.id).toBe(first.id);
    expect(again.idempotencyKey).toBe("key-1");

    let a = await approvals.vote(first.id, "Ada", "c1", at(6000));
    expect(a).toMatchObject({ state: "pending", approvedBy: ["Ada"] });
    a = await approvals.vote(first.id, "Ada", "c1", at(7000));
    expect(a).toMatchObject({ state: "pending", approvedBy: ["Ada"] });
    a = await approvals.vote(first.id, "Bob", "c2", at(8000));
    expect(a).toMatchObject({ state: "approved", approvedBy: ["Ada", "Bob"] });

    // One caller proceeds; a decline after approval changes nothing.
    expect(await approvals.claim(first.id, at(9000))).toBe(true);
    expect(await approvals.claim(first.id, at(9000))).toBe(false);
    expect((await approvals.decline(first.id, at(9500)))?.state).toBe("claimed");
    await approvals.settle(first.id, "done", at(10_000));
    expect((await approvals.get(first.id))?.state).toBe("done");
  });

  it("a decline is final: no vote counts after it and it cannot be claimed", async () => {
    place = await backend.fresh();
    await enroll("Ada", "c1");
    const { approvals } = await place.open();
    const p = await approvals.open(call());
    expect((await approvals.decline(p.id, at(1000)))?.state).toBe("declined");
    expect(await approvals.vote(p.id, "Ada", "c1", at(2000))).toMatchObject({
      state: "declined",
      approvedBy: [],
    });
    expect(await approvals.claim(p.id, at(3000))).toBe(false);
    expect((await approvals.open(call({ now: at(4000) }))).state).toBe("declined");
  });

  it("an approval never used expires: no vote, no claim, and the same call then opens a new one", async () => {
    place = await backend.fresh();
    await enroll("Ada", "c1");
    const { approvals } = await place.open();
    const p = await approvals.open(call({ ttlMs: 10_000 }));
    expect((await approvals.vote(p.id, "Ada", "c1", at(10_001)))?.state).toBe("pending");
    const approved = await approvals.open(call({ identity: "identity-2", ttlMs: 10_000 }));
    expect((await approvals.vote(approved.id, "Ada", "c1", at(5000)))?.state).toBe("approved");
    expect(await approvals.claim(approved.id, at(10_001))).toBe(false);
    const fresh = await approvals.open(call({ now: at(20_000) }));
    expect(fresh.id).not.toBe(p.id);
    expect(fresh.state).toBe("pending");
  });

  it("a challenge is used once, for its purpose, before it expires", async () => {
    place = await backend.fresh();
    const { approvals } = await place.open();
    await approvals.issueChallenge("ch1", "approve:a:d", T0.getTime() + 60_000);
    expect(await approvals.takeChallenge("ch1", "approve:b:d", at(1000))).toBe(false);
    expect(await approvals.takeChallenge("ch1", "approve:a:d", at(1000))).toBe(true);
    expect(await approvals.takeChallenge("ch1", "approve:a:d", at(1000))).toBe(false);
    await approvals.issueChallenge("ch2", "approve:a:d", T0.getTime() + 60_000);
    expect(await approvals.takeChallenge("ch2", "approve:a:d", at(60_001))).toBe(false);
  });

  it("the signature counter moves once from a given value; removing an approver drops their passkeys and open votes", async () => {
    place = await backend.fresh();
    await enroll("Ada", "c1");
    const { approvals } = await place.open();
    expect(await approvals.advanceCounter("c1", 0, 3, at(1))).toBe(true);
    expect(await approvals.advanceCounter("c1", 0, 3, at(2))).toBe(false);
    expect((await approvals.passkey("c1"))?.counter).toBe(3);
    const p = await approvals.open(call({ needed: 2 }));
    await approvals.vote(p.id, "Ada", "c1", at(3));
    expect(await approvals.removeApprover("Ada")).toBe(true);
    expect(await approvals.removeApprover("Ada")).toBe(false);
    expect(await approvals.passkey("c1")).toBeUndefined();
    expect((await approvals.get(p.id))?.approvedBy).toEqual([]);
    expect(await approvals.enrolledCount()).toBe(0);
  });

  it("a second connection (another process or instance) sees the same roster and approvals", async () => {
    place = await backend.fresh();
    await enroll("Ada", "c1");
    const a = (await place.open()).approvals;
    const b = (await place.open()).approvals;
    const p = await a.open(call());
    expect((await b.open(call({ now: at(1) }))).id).toBe(p.id);
    expect((await b.vote(p.id, "Ada", "c1", at(2)))?.state).toBe("approved");
    const claims = await Promise.all([a.claim(p.id, at(3)), b.claim(p.id, at(3))]);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
