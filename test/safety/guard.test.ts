// The money-moving guard end to end against real state and audit files and a fake SpacePay:
// confirmation by elicitation and by token, limits, idempotency across retries and crashes, audit.
import fs from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { registerSecret } from "../../src/log.js";
import type { Mode } from "../../src/domain.js";
import { errorClassForStatus, type SpacePayError } from "../../src/spacepay/errors.js";
import { attemptRecord, settle } from "../../src/spacepay/failure.js";
import {
  DAY_MS,
  createGuard,
  StateUnavailableError,
  type AuditEntry,
  type AuditTrail,
  type ElicitFn,
  type ExecuteResult,
  type GuardedCall,
  type SafetyPolicy,
  type StateStore,
} from "../../src/safety/index.js";
import {
  CHAIN,
  RECIPIENT,
  fakeApi,
  fakeClock,
  paymentSummary,
  policy,
  useGuardState,
  withdrawalArgs,
  withdrawalSummary,
  type WithdrawalArgs,
} from "./helpers.js";

const state = useGuardState();
const setup = (overrides: Partial<SafetyPolicy> = {}, mode: Mode = "test") => state.open(overrides, mode);

type Guard = Awaited<ReturnType<typeof setup>>["guard"];

function withdraw(
  guard: Guard,
  args: WithdrawalArgs,
  execute: GuardedCall["execute"],
  extra: Partial<GuardedCall> = {},
) {
  return guard.run({
    tool: "create_withdrawal",
    args,
    summary: withdrawalSummary(args),
    signal: new AbortController().signal,
    execute,
    ...extra,
  });
}

function pay(
  guard: Guard,
  tool: "create_payment" | "create_deposit",
  args: Record<string, unknown>,
  execute: GuardedCall["execute"],
) {
  return guard.run({
    tool,
    args,
    summary: paymentSummary(args, tool),
    signal: new AbortController().signal,
    execute,
  });
}

async function events(audit: AuditTrail): Promise<string[]> {
  return (await audit.readRecent(100)).map((e: AuditEntry) =>
    e.event === "intent" ? "intent" : `outcome:${e.outcome}`,
  );
}

/** Passes the first call's token to a repeat of it. */
function tokenOf(result: { structured: Record<string, unknown> }): string {
  const token = result.structured.confirmationToken;
  if (typeof token !== "string") throw new Error(`no token in ${JSON.stringify(result.structured)}`);
  return token;
}

const accept: ElicitFn = async () => ({ action: "accept", content: { confirm: true } });

/** What the request pipeline throws after one attempt answered `status` (classified as it would be). */
function httpError(status: number, message: string): SpacePayError {
  const Cls = errorClassForStatus(status);
  const err = new Cls(message, { status, requestId: "req_err" });
  return settle(err, [attemptRecord(1, err)]);
}

describe("confirmation by elicitation", () => {
  it("asks with a summary, timeout and signal, and goes ahead only on accept with confirm: true", async () => {
    const { guard, audit } = await setup({ confirm: "auto" });
    const api = fakeApi();
    const elicit = vi.fn<ElicitFn>(accept);
    const result = await withdraw(guard, withdrawalArgs(), api.execute, { elicit });

    expect(elicit).toHaveBeenCalledOnce();
    const [req, opts] = elicit.mock.calls[0]!;
    expect(req.message).toContain("$25.00");
    expect(req.message).toContain(RECIPIENT);
    expect(req.message).toContain("TEST");
    expect(opts.timeoutMs).toBe(120_000);
    expect(opts.signal).toBeInstanceOf(AbortSignal);
    expect(result.isError).toBeUndefined();
    expect(result.structured).toMatchObject({ withdrawalId: "wd_1", confirmation: { by: "elicitation" } });
    expect(api.keys).toHaveLength(1);
    expect(await events(audit)).toEqual(["intent", "outcome:done"]);
  });

  it.each([
    ["decline", { action: "decline" as const }, "declined"],
    ["cancel", { action: "cancel" as const }, "cancelled"],
    [
      "accept without ticking confirm",
      { action: "accept" as const, content: { confirm: false } },
      "declined",
    ],
  ])("on %s: no API call, and a non-error result saying nothing was done", async (_name, answer, status) => {
    const { guard, audit } = await setup({ confirm: "elicitation" });
    const api = fakeApi();
    const result = await withdraw(guard, withdrawalArgs(), api.execute, { elicit: async () => answer });
    expect(api.keys).toEqual([]);
    expect(result.isError).toBeUndefined();
    expect(result.structured.status).toBe(status);
    expect(result.text).toContain("Nothing was done");
    expect(await events(audit)).toEqual([`outcome:${status}`]);
  });

  it("in auto mode, falls back to a token when the prompt times out", async () => {
    const { guard } = await setup({ confirm: "auto", confirmTimeoutMs: 30 });
    const api = fakeApi();
    let seenSignal: AbortSignal | undefined;
    const never: ElicitFn = (_req, { signal }) => {
      seenSignal = signal;
      return new Promise(() => {});
    };
    const result = await withdraw(guard, withdrawalArgs(), api.execute, { elicit: never });
    expect(result.structured.status).toBe("confirmation_required");
    expect(result.text).toContain("timed out");
    expect(seenSignal?.aborted).toBe(true);
    expect(api.keys).toEqual([]);
  });

  it("in auto mode, falls back to a token when the prompt fails", async () => {
    const { guard } = await setup({ confirm: "auto" });
    const api = fakeApi();
    const result = await withdraw(guard, withdrawalArgs(), api.execute, {
      elicit: async () => {
        throw new Error("Method not found");
      },
    });
    expect(result.structured.status).toBe("confirmation_required");
    expect(api.keys).toEqual([]);
  });

  it("in elicitation mode, a timeout is an error and nothing is sent", async () => {
    const { guard, audit } = await setup({ confirm: "elicitation", confirmTimeoutMs: 30 });
    const api = fakeApi();
    const result = await withdraw(guard, withdrawalArgs(), api.execute, {
      elicit: () => new Promise(() => {}),
    });
    expect(result.isError).toBe(true);
    expect(result.structured.status).toBe("confirmation_failed");
    expect(api.keys).toEqual([]);
    expect(await events(audit)).toEqual(["outcome:confirmation_failed"]);
  });

  it("in elicitation mode, refuses when the client cannot elicit", async () => {
    const { guard } = await setup({ confirm: "elicitation" });
    const api = fakeApi();
    const result = await withdraw(guard, withdrawalArgs(), api.execute);
    expect(result).toMatchObject({
      isError: true,
      structured: { rule: "SPACEPAY_CONFIRM", configured: "elicitation" },
    });
    expect(api.keys).toEqual([]);
  });

  it("in auto mode, uses a token when the client cannot elicit", async () => {
    const { guard } = await setup({ confirm: "auto" });
    const result = await withdraw(guard, withdrawalArgs(), fakeApi().execute);
    expect(result.structured.status).toBe("confirmation_required");
  });

  it("when the client cancels the call during the prompt, nothing is sent", async () => {
    const { guard } = await setup({ confirm: "elicitation" });
    const api = fakeApi();
    const controller = new AbortController();
    const pending = withdraw(guard, withdrawalArgs(), api.execute, {
      signal: controller.signal,
      elicit: () => new Promise(() => {}),
    });
    controller.abort();
    const result = await pending;
    expect(result.structured.status).toBe("cancelled");
    expect(api.keys).toEqual([]);
  });
});

describe("confirmation by token", () => {
  /** A withdrawal asked for once: a token issued, nothing sent. The guard, fake API, args and token. */
  async function tokenIssued(overrides: Partial<SafetyPolicy> = {}) {
    const opened = await setup(overrides);
    const api = fakeApi();
    const args = withdrawalArgs();
    const token = tokenOf(await withdraw(opened.guard, args, api.execute));
    return { ...opened, api, args, token };
  }

  it("first call returns a token and a summary; the repeat with it sends once, with the key bound to it", async () => {
    const { guard, audit, store } = await setup();
    const api = fakeApi();
    const args = withdrawalArgs();
    const first = await withdraw(guard, args, api.execute);
    expect(api.keys).toEqual([]);
    expect(first.isError).toBeUndefined();
    expect(first.structured).toMatchObject({
      status: "confirmation_required",
      expiresAt: "2025-06-01T12:10:00.000Z",
      summary: {
        action: "create_withdrawal",
        amount: "$25.00",
        chainId: CHAIN,
        recipientAddress: RECIPIENT,
        mode: "test",
      },
    });
    const token = tokenOf(first);
    expect(first.text).toContain(token);
    expect(first.text).toMatch(/show the user/i);

    const second = await withdraw(guard, { ...args, confirmationToken: token }, api.execute);
    expect(second.structured).toMatchObject({ withdrawalId: "wd_1", confirmation: { by: "token" } });
    expect(api.keys).toHaveLength(1);
    expect((await store.ledger.findByKey(api.keys[0]!))?.status).toBe("done");
    expect(await events(audit)).toEqual(["outcome:confirmation_required", "intent", "outcome:done"]);
    // The key was chosen and logged when the token was issued, before anything was sent.
    expect((await audit.readRecent(3))[0]?.idempotencyKey).toBe(api.keys[0]);
  });

  it("a repeat with a used token, or without it, replays the done withdrawal and sends nothing", async () => {
    const { guard, api, args, token } = await tokenIssued();
    await withdraw(guard, { ...args, confirmationToken: token }, api.execute);
    for (const again of [{ ...args, confirmationToken: token }, args]) {
      const replay = await withdraw(guard, again, api.execute);
      expect(replay.isError, replay.text).toBeFalsy();
      expect(replay.structured).toMatchObject({
        status: "done",
        replayed: true,
        withdrawalId: "wd_1",
        confirmation: { replayed: true },
      });
      expect(replay.structured.message).toMatch(
        /already created by an identical call; nothing was sent again/,
      );
    }
    expect(api.keys).toHaveLength(1);
  });

  it("an identical repeat while its token is pending gets the same token", async () => {
    const { guard, api, args, token: first } = await tokenIssued();
    expect(tokenOf(await withdraw(guard, { ...args }, api.execute))).toBe(first);
    // A new orderId is a new call, with its own token.
    expect(tokenOf(await withdraw(guard, { ...args, orderId: "wd-2" }, api.execute))).not.toBe(first);
    expect(api.keys).toHaveLength(0);
  });

  it("refuses an expired token", async () => {
    const { guard, api, args, token } = await tokenIssued({ confirmTtlSeconds: 600 });
    state.clock.advance(600_000);
    const late = await withdraw(guard, { ...args, confirmationToken: token }, api.execute);
    expect(late).toMatchObject({ isError: true, structured: { rule: "confirmationToken" } });
    expect(late.text).toContain("expired");
    expect(api.keys).toEqual([]);
  });

  it.each([
    ["amountInCents", { amountInCents: 2_501 }],
    ["recipientAddress", { recipientAddress: "0x9999999999999999999999999999999999999999" }],
    ["chainId", { chainId: "eip155:8453" }],
    ["idempotencyKey", { idempotencyKey: "mine" }],
  ])("refuses a call whose %s differs from the confirmed one, naming it", async (name, change) => {
    const { guard, api, args, token } = await tokenIssued();
    const changed = await withdraw(guard, { ...args, ...change, confirmationToken: token }, api.execute);
    expect(changed.isError).toBe(true);
    expect(changed.text).toContain(`${name} (confirmed`);
    expect(api.keys).toEqual([]);
    // The token still confirms the original call.
    const original = await withdraw(guard, { ...args, confirmationToken: token }, api.execute);
    expect(original.structured.withdrawalId).toBe("wd_1");
  });

  it("refuses a token issued for another tool", async () => {
    const { guard } = await setup();
    const api = fakeApi("pay");
    const args = { amountInCents: 1_000, orderId: "inv-1" };
    const token = tokenOf(await pay(guard, "create_payment", args, api.execute));
    const other = await pay(guard, "create_deposit", { ...args, confirmationToken: token }, api.execute);
    expect(other.isError).toBe(true);
    expect(other.text).toContain("issued for create_payment, not create_deposit");
    expect(api.keys).toEqual([]);
  });

  it("refuses an unknown token", async () => {
    const { guard } = await setup();
    const api = fakeApi();
    const result = await withdraw(guard, withdrawalArgs({ confirmationToken: "cfm_made_up" }), api.execute);
    expect(result).toMatchObject({ isError: true, structured: { rule: "confirmationToken" } });
    expect(api.keys).toEqual([]);
  });

  it("after a crash mid-request, the same token resumes with the same key: one withdrawal upstream", async () => {
    // Today: reopening the state prunes by the real clock.
    state.clock = fakeClock(new Date().toISOString());
    const first = await tokenIssued();
    const { api, args, token } = first;
    // The request reaches SpacePay, then the process dies before reading the answer.
    const crashing = async (key: string): Promise<ExecuteResult> => {
      await api.execute(key);
      return new Promise<ExecuteResult>(() => {});
    };
    void withdraw(first.guard, { ...args, confirmationToken: token }, crashing);
    await vi.waitFor(() => expect(api.keys).toHaveLength(1));
    await first.store.close();
    state.forget(first.store);

    const restarted = await setup();
    expect((await restarted.store.ledger.findByKey(api.keys[0]!))?.status).toBe("sent");
    // The dead process's hold on the call lapses; until then an identical call would wait for it.
    state.clock.advance(120_001);
    const resumed = await withdraw(restarted.guard, { ...args, confirmationToken: token }, api.execute);
    expect(api.keys).toEqual([api.keys[0], api.keys[0]]);
    expect(api.created()).toBe(1);
    expect(resumed.structured).toMatchObject({ withdrawalId: "wd_1", confirmation: { replayed: true } });
    expect(await events(restarted.audit)).toEqual([
      "outcome:confirmation_required",
      "intent",
      "intent",
      "outcome:done",
    ]);
    // Counted once, not twice.
    expect(await restarted.store.ledger.usedCents(state.clock.now(), DAY_MS)).toBe(2_500);
    // And now it is done: the same token replays it.
    const again = await withdraw(restarted.guard, { ...args, confirmationToken: token }, api.execute);
    expect(again.structured).toMatchObject({ status: "done", replayed: true });
    expect(api.keys).toHaveLength(2);
  });

  it("a second concurrent use of the same token waits for the first and gets its outcome: one withdrawal", async () => {
    const { guard, api, args, token } = await tokenIssued();
    let release!: () => void;
    const slow = async (key: string) => {
      await new Promise<void>((r) => (release = r));
      return api.execute(key);
    };
    const firstCall = withdraw(guard, { ...args, confirmationToken: token }, slow);
    await vi.waitFor(() => expect(release).toBeTypeOf("function"));
    const second = withdraw(guard, { ...args, confirmationToken: token }, api.execute);
    release();
    expect((await firstCall).structured.withdrawalId).toBe("wd_1");
    expect((await second).structured).toMatchObject({ status: "done", replayed: true, withdrawalId: "wd_1" });
    expect(api.created()).toBe(1);
    expect(api.keys).toHaveLength(1);
  });
});

describe("limits", () => {
  it("refuses a withdrawal above the maximum before asking anyone, and never calls the API", async () => {
    const { guard, audit } = await setup({ confirm: "auto" });
    const execute = vi.fn();
    const elicit = vi.fn<ElicitFn>(accept);
    const result = await withdraw(guard, withdrawalArgs({ amountInCents: 100_001 }), execute, { elicit });
    expect(result).toMatchObject({
      isError: true,
      structured: { status: "refused", rule: "SPACEPAY_MAX_WITHDRAWAL_CENTS", configured: 100_000 },
    });
    expect(execute).not.toHaveBeenCalled();
    expect(elicit).not.toHaveBeenCalled();
    expect((await audit.readRecent(1))[0]).toMatchObject({
      outcome: "refused",
      rule: "SPACEPAY_MAX_WITHDRAWAL_CENTS",
    });
  });

  it("a withdrawal resumed with a key whose ledger entry is older than the window is checked against the cap again", async () => {
    const { guard, store } = await setup({ confirm: "elicitation", dailyWithdrawalLimitCents: 5_000 });
    const api = fakeApi();
    const a = withdrawalArgs({ amountInCents: 4_000, orderId: "a" });
    const lost = async (key: string): Promise<ExecuteResult> => {
      await api.execute(key);
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    await expect(withdraw(guard, a, lost, { elicit: accept })).rejects.toThrow("socket hang up");
    state.clock.advance(DAY_MS + 60_000);
    // While the user confirms the resumed call, another withdrawal uses the cap the old entry no longer holds.
    const fillCap: ElicitFn = async () => {
      const b = await withdraw(guard, withdrawalArgs({ amountInCents: 4_000, orderId: "b" }), api.execute, {
        elicit: accept,
      });
      expect(b.structured.withdrawalId).toBe("wd_2");
      return { action: "accept", content: { confirm: true } };
    };
    const resumed = await withdraw(guard, a, api.execute, { elicit: fillCap });
    expect(resumed).toMatchObject({
      isError: true,
      structured: { status: "refused", rule: "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS" },
    });
    expect(api.keys).toHaveLength(2);
    expect(await store.ledger.usedCents(state.clock.now(), DAY_MS)).toBe(4_000);

    // With room under the cap, the resumed entry counts again, from now.
    state.clock.advance(DAY_MS + 60_000);
    const room = await withdraw(guard, a, api.execute, { elicit: accept });
    expect(room.isError, room.text).toBeFalsy();
    expect(api.keys[2]).toBe(api.keys[0]);
    expect(await store.ledger.usedCents(state.clock.now(), DAY_MS)).toBe(4_000);
  });

  it("enforces the rolling 24-hour cap; old withdrawals fall out of the window", async () => {
    const { guard } = await setup({ confirm: "elicitation", dailyWithdrawalLimitCents: 5_000 });
    const api = fakeApi();
    const ok = await withdraw(guard, withdrawalArgs({ amountInCents: 3_000, orderId: "a" }), api.execute, {
      elicit: accept,
    });
    expect(ok.structured.withdrawalId).toBe("wd_1");

    const elicit = vi.fn<ElicitFn>(accept);
    const over = await withdraw(guard, withdrawalArgs({ amountInCents: 3_000, orderId: "b" }), api.execute, {
      elicit,
    });
    expect(over.structured).toMatchObject({
      rule: "SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS",
      configured: 5_000,
    });
    expect(elicit).not.toHaveBeenCalled();

    state.clock.advance(DAY_MS);
    const later = await withdraw(guard, withdrawalArgs({ amountInCents: 3_000, orderId: "b" }), api.execute, {
      elicit,
    });
    expect(later.structured.withdrawalId).toBe("wd_2");
  });

  it("re-checks the cap after confirmation: a token confirmed before the cap filled up is refused", async () => {
    const { guard } = await setup({ dailyWithdrawalLimitCents: 5_000 });
    const api = fakeApi();
    const a = withdrawalArgs({ amountInCents: 3_000, orderId: "a" });
    const b = withdrawalArgs({ amountInCents: 3_000, orderId: "b" });
    const tokenA = tokenOf(await withdraw(guard, a, api.execute));
    const tokenB = tokenOf(await withdraw(guard, b, api.execute));
    await withdraw(guard, { ...a, confirmationToken: tokenA }, api.execute);
    const refused = await withdraw(guard, { ...b, confirmationToken: tokenB }, api.execute);
    expect(refused.structured.rule).toBe("SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS");
    expect(api.created()).toBe(1);
  });

  it("refuses a recipient outside the allow-list, and allows a listed one without confirmation when confirm is off", async () => {
    const { guard } = await setup({
      confirm: "off",
      withdrawalAllowlist: [{ chainId: CHAIN, address: RECIPIENT.toUpperCase().replace("0X", "0x") }],
    });
    const api = fakeApi();
    const outside = await withdraw(
      guard,
      withdrawalArgs({ recipientAddress: "0x2222222222222222222222222222222222222222" }),
      api.execute,
    );
    expect(outside.structured.rule).toBe("SPACEPAY_WITHDRAWAL_ALLOWLIST");
    const listed = await withdraw(guard, withdrawalArgs(), api.execute);
    expect(listed.structured).toMatchObject({ withdrawalId: "wd_1", confirmation: { by: "off" } });
  });

  // With a live key and SPACEPAY_ALLOW_LIVE_WITHDRAWALS unset, create_withdrawal is never registered
  // (see test/safety-e2e/limits.test.ts), so the guard only meets live withdrawals that were allowed.
  it("with live withdrawals allowed, the prompt says LIVE and the withdrawal runs only once accepted", async () => {
    const { guard } = await setup({ confirm: "elicitation", allowLiveWithdrawals: true }, "live");
    const api = fakeApi();
    const elicit = vi.fn<ElicitFn>(async () => ({ action: "decline" }));
    const declined = await withdraw(guard, withdrawalArgs(), api.execute, { elicit });
    expect(elicit.mock.calls[0]![0].message).toMatch(/LIVE/);
    expect(declined.structured.status).toBe("declined");
    expect(api.keys).toEqual([]);

    const done = await withdraw(guard, withdrawalArgs(), api.execute, { elicit: accept });
    expect(done.structured).toMatchObject({ withdrawalId: "wd_1", confirmation: { by: "elicitation" } });
    expect(api.created()).toBe(1);
  });
});

describe("idempotency", () => {
  it("derives the same payment key for a repeated invoice, and a different one for another order", async () => {
    const { guard } = await setup({ confirm: "off" });
    const api = fakeApi("pay");
    const invoice = { amountInCents: 1_000, orderId: "inv-1" };
    const first = await pay(guard, "create_payment", invoice, api.execute);
    const repeat = await pay(guard, "create_payment", { ...invoice }, api.execute);
    await pay(guard, "create_payment", { ...invoice, orderId: "inv-2" }, api.execute);
    await pay(guard, "create_payment", { ...invoice, amountInCents: 1_001 }, api.execute);
    await pay(guard, "create_deposit", { orderId: "inv-1" }, api.execute);

    // The identical repeat replays the first answer without calling SpacePay.
    expect(api.keys).toHaveLength(4);
    expect(new Set(api.keys).size).toBe(4);
    expect(first.structured.paymentId).toBe(repeat.structured.paymentId);
    expect(repeat.structured).toMatchObject({ replayed: true, confirmation: { replayed: true } });
    // Another caller's identical invoice is another call, but the same derived key: SpacePay replays it.
    const other = await guard.run({
      tool: "create_payment",
      args: invoice,
      summary: paymentSummary(invoice),
      signal: new AbortController().signal,
      caller: "someone-else",
      execute: api.execute,
    });
    expect(api.keys[4]).toBe(api.keys[0]);
    expect(other.structured.paymentId).toBe(first.structured.paymentId);
  });

  it("derives keys per merchant key", async () => {
    const { store } = await setup();
    const keysFor = async (merchantKeyFingerprint: string) => {
      const guard = createGuard({
        policy: policy({ confirm: "off" }),
        mode: "test",
        store,
        merchantKeyFingerprint,
      });
      const api = fakeApi("pay");
      await pay(guard, "create_payment", { amountInCents: 1, orderId: "o" }, api.execute);
      return api.keys[0];
    };
    expect(await keysFor("merchant-a")).not.toBe(await keysFor("merchant-b"));
  });

  it("uses the caller's idempotencyKey when given", async () => {
    const { guard } = await setup({ confirm: "off" });
    const api = fakeApi("pay");
    await pay(
      guard,
      "create_payment",
      { amountInCents: 1_000, orderId: "inv-1", idempotencyKey: "caller-key" },
      api.execute,
    );
    expect(api.keys).toEqual(["caller-key"]);
  });

  it("after an ambiguous failure, a re-confirmed retry of the same withdrawal reuses the key, and the amount keeps counting", async () => {
    const { guard, store, audit } = await setup({ confirm: "elicitation" });
    const api = fakeApi();
    const args = withdrawalArgs();
    const reset = async (key: string): Promise<ExecuteResult> => {
      await api.execute(key);
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    await expect(withdraw(guard, args, reset, { elicit: accept })).rejects.toThrow("socket hang up");
    expect(await store.ledger.usedCents(state.clock.now(), DAY_MS)).toBe(2_500);
    expect((await audit.readRecent(1))[0]).toMatchObject({
      outcome: "failed",
      ambiguous: true,
      error: { class: "Error", message: "socket hang up" },
    });

    const retry = await withdraw(guard, args, api.execute, { elicit: accept });
    expect(api.keys[1]).toBe(api.keys[0]);
    expect(api.created()).toBe(1);
    expect(retry.structured.withdrawalId).toBe("wd_1");
    expect(await store.ledger.usedCents(state.clock.now(), DAY_MS)).toBe(2_500);
  });

  it("after an ambiguous failure, an identical repeat resumes with the pending key: one withdrawal", async () => {
    const { guard } = await setup();
    const api = fakeApi();
    const args = withdrawalArgs();
    const t1 = tokenOf(await withdraw(guard, args, api.execute));
    const timeout = async (key: string): Promise<ExecuteResult> => {
      await api.execute(key);
      throw httpError(504, "gateway timeout");
    };
    await expect(withdraw(guard, { ...args, confirmationToken: t1 }, timeout)).rejects.toThrow();
    const resumed = await withdraw(guard, args, api.execute);
    expect(resumed.structured).toMatchObject({ status: "done", withdrawalId: "wd_1" });
    expect(api.keys).toEqual([api.keys[0], api.keys[0]]);
    expect(api.created()).toBe(1);
  });

  it("a definite rejection (4xx) stops counting the amount and uses up the token", async () => {
    const { guard, store, audit } = await setup();
    const args = withdrawalArgs();
    const token = tokenOf(await withdraw(guard, args, fakeApi().execute));
    const rejected = async (): Promise<ExecuteResult> => {
      throw httpError(400, "invalid_amount");
    };
    await expect(withdraw(guard, { ...args, confirmationToken: token }, rejected)).rejects.toThrow(
      "invalid_amount",
    );
    expect(await store.ledger.usedCents(state.clock.now(), DAY_MS)).toBe(0);
    expect((await audit.readRecent(1))[0]).toMatchObject({
      outcome: "failed",
      ambiguous: false,
      error: { class: "ValidationError" },
      requestId: "req_err",
    });
    const again = await withdraw(guard, { ...args, confirmationToken: token }, fakeApi().execute);
    expect(again.text).toContain("already been used");
  });

  it("refuses a caller idempotencyKey already used for a different withdrawal", async () => {
    const { guard } = await setup({ confirm: "elicitation" });
    const api = fakeApi();
    await withdraw(guard, withdrawalArgs({ idempotencyKey: "k1" }), api.execute, { elicit: accept });
    const clash = await withdraw(
      guard,
      withdrawalArgs({ idempotencyKey: "k1", amountInCents: 999 }),
      api.execute,
      {
        elicit: accept,
      },
    );
    expect(clash.structured.rule).toBe("idempotencyKey");
    expect(api.keys).toHaveLength(1);
  });
});

describe("state backend down", () => {
  /** What a store call does while PostgreSQL cannot be reached. */
  const down = () =>
    Promise.reject(
      new StateUnavailableError(
        "the PostgreSQL database (SPACEPAY_DATABASE_URL) is unavailable (ECONNREFUSED).",
        "SPACEPAY_DATABASE_URL",
      ),
    );
  /** A guard over `store` as it is while the backend is down. */
  const guardOver = (store: StateStore, overrides: Partial<SafetyPolicy> = {}) =>
    createGuard({
      policy: policy(overrides),
      mode: "test",
      store,
      merchantKeyFingerprint: "merchant-fp",
      now: state.clock.now,
    });
  /** The refusal naming the backend, whose text says nothing was sent. */
  function expectBackendRefusal(refusal: { structured: unknown; text: string } | undefined): void {
    expect(refusal?.structured).toMatchObject({ status: "refused", rule: "SPACEPAY_DATABASE_URL" });
    expect(refusal?.text).toMatch(
      /PostgreSQL database \(SPACEPAY_DATABASE_URL\) is unavailable.*Nothing was sent/,
    );
  }

  it("a withdrawal is refused naming the backend, before anything is sent, when the state cannot be reached", async () => {
    const noConfirm: Partial<SafetyPolicy> = {
      confirm: "off",
      withdrawalAllowlist: [{ address: RECIPIENT }],
    };
    const { store } = await setup(noConfirm);
    const guard = guardOver({ ...store, ledger: { ...store.ledger, reserve: down } }, noConfirm);
    const api = fakeApi();
    const result = await withdraw(guard, withdrawalArgs(), api.execute);
    expect(result.isError).toBe(true);
    expectBackendRefusal(result);
    expect(api.keys).toEqual([]);
  });

  it('an approval handle cannot be looked up: the same refusal, never "not issued"', async () => {
    const { store } = await setup();
    const guard = guardOver({ ...store, confirmations: { ...store.confirmations, get: down } });
    const lookup = await guard.approvalCall("apv_some_handle");
    expect(lookup).not.toBeNull();
    expectBackendRefusal(lookup && "refused" in lookup ? lookup.refused : undefined);
  });
});

describe("audit through the guard", () => {
  it("writes intent and outcome with key, confirmation, ids and request id, and no secret or token", async () => {
    const secret = "sk_test_guard_fake_secret_4242";
    registerSecret(secret);
    const { guard, audit } = await setup();
    const api = fakeApi();
    const args = withdrawalArgs({ customMetadata: { note: secret } } as Partial<WithdrawalArgs>);
    const token = tokenOf(await withdraw(guard, args, api.execute));
    await withdraw(guard, { ...args, confirmationToken: token }, api.execute);

    const [, intent, outcome] = await audit.readRecent(3);
    expect(intent).toMatchObject({
      event: "intent",
      tool: "create_withdrawal",
      confirmation: "token",
      idempotencyKey: api.keys[0],
    });
    expect(outcome).toMatchObject({
      event: "outcome",
      outcome: "done",
      ids: { withdrawalId: "wd_1" },
      requestId: "req_1",
      args: { summary: { amountInCents: 2_500, recipientAddress: RECIPIENT } },
    });
    const text = fs.readFileSync(audit.where, "utf8");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(token);
    expect(fs.statSync(audit.where).mode & 0o777).toBe(0o600);
  });
});
