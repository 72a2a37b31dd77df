// Every tool end to end through a real MCP client, the real runtime and the simulator: what an agent
// gets back on success and on the main failures.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startHarness, textOf, RECIPIENT, type Harness } from "../helpers/mcp-harness.js";
import { withdrawal } from "../safety-e2e/helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    simulator: { samplePayments: 30, seed: 7 },
    env: {
      SPACEPAY_BEARER_TOKEN: "simulator_bearer_token",
      SPACEPAY_MERCHANT_ID: "5a1e5a1e-0000-4000-8000-000000000001",
    },
  });
});
afterAll(() => h.close());

describe("create_payment and create_deposit", () => {
  it("creates a payment and returns its link, in dollars, without the payment secret", async () => {
    const res = await h.call("create_payment", { amountInCents: 12000, orderId: "881" });
    expect(res.isError).toBeFalsy();
    const s = res.structuredContent;
    expect(s.status).toBe("done");
    expect(s.mode).toBe("test");
    expect(s.payment.amount).toBe("$120.00");
    expect(s.payment.status).toBe("pending");
    expect(s.paymentUrl).toContain(s.payment.id);
    expect(textOf(res)).toContain("$120.00");
    expect(textOf(res)).toContain('Order: "881"');
    const secret = h.sim.control.paymentSecret(s.payment.id)!;
    expect(JSON.stringify(res)).not.toContain(secret);
  });

  it("returns the same payment when the same invoice is repeated, and SpacePay holds one", async () => {
    const before = h.sim.control.counts().payments;
    const a = await h.call("create_payment", { amountInCents: 4500, orderId: "dup-1" });
    const b = await h.call("create_payment", { amountInCents: 4500, orderId: "dup-1" });
    expect(b.structuredContent.payment.id).toBe(a.structuredContent.payment.id);
    expect(b.structuredContent.replayed).toBe(true);
    expect(textOf(b)).toMatch(/already created by an identical call; nothing was sent again/);
    expect(h.sim.control.counts().payments).toBe(before + 1);
  });

  it("creates a deposit with no fixed amount", async () => {
    const res = await h.call("create_deposit", { orderId: "dep-1", customerRefId: "cust-42" });
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent.payment.type).toBe("deposit");
    expect(res.structuredContent.payment.amount).toBeNull();
  });

  it("names the field and the rule for bad arguments, and sends nothing", async () => {
    const before = h.sim.control.counts().requests;
    const res = await h.call("create_payment", { amountInCents: 100, orderId: "", amount: 5 });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/`amountInCents`.*250/);
    expect(textOf(res)).toMatch(/`orderId`/);
    expect(textOf(res)).toMatch(/`amount`: not an argument/);
    expect(h.sim.control.counts().requests).toBe(before);
  });

  it("refuses customMetadata over 2048 characters once serialised", async () => {
    const res = await h.call("create_payment", {
      amountInCents: 1000,
      orderId: "meta-1",
      customMetadata: { blob: "x".repeat(2100) },
    });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/customMetadata.*2048/);
  });
});

describe("lookups", () => {
  it("get_payment shows status, meaning and quotes; an unknown id suggests list_payments", async () => {
    const created = await h.call("create_payment", { amountInCents: 999, orderId: "look-1" });
    const id = created.structuredContent.payment.id;
    const res = await h.call("get_payment", { paymentId: id });
    expect(textOf(res)).toContain("pending (waiting for the customer to pay)");
    expect(res.structuredContent.payment.amountInCents).toBe(999);

    const missing = await h.call("get_payment", { paymentId: "00000000-0000-4000-8000-000000000000" });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/404/);
    expect(textOf(missing)).toMatch(/list_payments/);
  });

  it("list_payments pages and says where the page sits", async () => {
    const res = await h.call("list_payments", { limit: 5 });
    const s = res.structuredContent;
    expect(s.payments).toHaveLength(5);
    expect(s.page.nextOffset).toBe(5);
    expect(textOf(res)).toMatch(new RegExp(`1–5 of ${s.page.total}; next offset 5`));
    const next = await h.call("list_payments", { limit: 5, offset: 5 });
    expect(next.structuredContent.payments[0].id).not.toBe(s.payments[0].id);
  });

  it("list_payments filters by status and finds an exact order id by scanning", async () => {
    // Its own payment, among the seeded ones: the test must not lean on an earlier test's.
    await h.call("create_payment", { amountInCents: 1500, orderId: "scan-881" });
    const completed = await h.call("list_payments", { status: "completed", limit: 100 });
    expect(completed.structuredContent.payments.length).toBeGreaterThan(0);
    for (const p of completed.structuredContent.payments) expect(p.status).toBe("completed");

    const res = await h.call("list_payments", { orderId: "scan-881" });
    expect(res.structuredContent.payments.map((p: { orderId: string }) => p.orderId)).toEqual(["scan-881"]);
    expect(res.structuredContent.scan.complete).toBe(true);
    expect(textOf(res)).toMatch(/Searched all/);
  });

  it("list_payments filters by creation date", async () => {
    const after = new Date(Date.now() - 5 * 24 * 3600 * 1000).toISOString();
    const res = await h.call("list_payments", { createdAfter: after, limit: 100 });
    for (const p of res.structuredContent.payments)
      expect(Date.parse(p.createdAt)).toBeGreaterThanOrEqual(Date.parse(after));
    const bad = await h.call("list_payments", { createdAfter: "yesterday-ish" });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/createdAfter.*ISO/);
  });

  it("list_supported_tokens filters by chain name", async () => {
    const res = await h.call("list_supported_tokens", { chainId: "base-sepolia" });
    const tokens = res.structuredContent.tokens;
    expect(tokens.map((t: { symbol: string }) => t.symbol).sort()).toEqual(["ETH", "USDC", "USDT"]);
    for (const t of tokens) expect(t.chainId).toBe("eip155:84532");
  });

  it("get_wallet_balances shows exact token amounts per chain", async () => {
    const res = await h.call("get_wallet_balances");
    expect(res.structuredContent.balances.length).toBeGreaterThan(0);
    expect(textOf(res)).toMatch(/Base Sepolia \(eip155:84532\): [\d.]+ USDC/);
  });

  it("get_withdrawal_config shows limits in dollars", async () => {
    const res = await h.call("get_withdrawal_config");
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent.minAmountInCents).toBe(100);
    expect(textOf(res)).toMatch(/\$1\.00 to \$1,000,000\.00/);
  });
});

describe("quotes, refresh and waiting", () => {
  it("create_quote prices a payment in a named token and chain", async () => {
    const created = await h.call("create_payment", { amountInCents: 2500, orderId: "quote-1" });
    const id = created.structuredContent.payment.id;
    const res = await h.call("create_quote", { paymentId: id, token: "USDT", chainId: "sepolia" });
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent.quote.token).toBe("USDT");
    expect(res.structuredContent.quote.chainId).toBe("eip155:11155111");
    expect(res.structuredContent.quote.amountDue).toMatch(/USDT$/);
    expect(textOf(res)).toMatch(/expires/);
  });

  it("a payment created elsewhere needs its paymentSecret, and the error says so", async () => {
    // A seeded payment: the simulator made it, so this server never saw its secret.
    const sample = (
      await h.call("list_payments", { status: "pending", limit: 100 })
    ).structuredContent.payments.find((p: { orderId: string }) => p.orderId.startsWith("order_"));
    // Neither tool calls an argument the caller never passed "invalid": it is missing.
    for (const tool of ["create_quote", "refresh_status"]) {
      const res = await h.call(tool, { paymentId: sample.id });
      expect(res.isError, tool).toBe(true);
      expect(textOf(res), tool).toMatch(
        new RegExp(`^${tool}: Missing argument \`paymentSecret\`: this server did not create that payment`),
      );
      expect(textOf(res), tool).not.toMatch(/Invalid argument/);
    }
    const secret = h.sim.control.paymentSecret(sample.id)!;
    const ok = await h.call("create_quote", { paymentId: sample.id, paymentSecret: secret });
    expect(ok.isError).toBeFalsy();
    expect(JSON.stringify(ok)).not.toContain(secret);
  });

  it("refresh_status re-checks and reports the status with its meaning", async () => {
    const created = await h.call("create_payment", { amountInCents: 2500, orderId: "refresh-1" });
    const res = await h.call("refresh_status", { paymentId: created.structuredContent.payment.id });
    expect(res.structuredContent.status).toBe("pending");
    expect(textOf(res)).toMatch(/waiting for the customer/);
  });

  it("wait_for_payment follows a customer payment to completion, with progress", async () => {
    const created = await h.call("create_payment", { amountInCents: 2500, orderId: "wait-1" });
    const id = created.structuredContent.payment.id;
    const progress: number[] = [];
    const waiting = h.client.callTool(
      { name: "wait_for_payment", arguments: { paymentId: id, timeoutSeconds: 20 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress), timeout: 30_000 },
    );
    // The customer pays once the wait has looked at the payment.
    await vi.waitFor(() => expect(h.sim.control.requests({ path: `**/${id}/status` })).not.toHaveLength(0));
    await h.sim.control.pay(id, { outcome: "exact" });
    const res = (await waiting) as { structuredContent: Record<string, unknown> };
    expect(res.structuredContent.status).toBe("completed");
    expect(res.structuredContent.final).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("wait_for_payment stops at once when cancelled, and the server answers the next call", async () => {
    const created = await h.call("create_payment", { amountInCents: 2500, orderId: "wait-2" });
    const id = created.structuredContent.payment.id;
    const ac = new AbortController();
    const started = Date.now();
    const waiting = h.client.callTool(
      { name: "wait_for_payment", arguments: { paymentId: id, timeoutSeconds: 60 } },
      undefined,
      {
        signal: ac.signal,
      },
    );
    // Cancelled once the wait is polling.
    await vi.waitFor(() => expect(h.sim.control.requests({ path: `**/${id}/status` })).not.toHaveLength(0));
    ac.abort();
    await expect(waiting).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    // A poll already on the wire when the call was cancelled may still land; after that, silence.
    await new Promise((r) => setTimeout(r, 100));
    const polls = h.sim.control.requests({ path: `**/${id}/status` }).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.sim.control.requests({ path: `**/${id}/status` }).length).toBe(polls);
    const next = await h.call("get_payment", { paymentId: id });
    expect(next.isError).toBeFalsy();
  });

  it("wait_for_payment needs no secret: for a payment created elsewhere it polls the merchant route", async () => {
    const sample = (
      await h.call("list_payments", { status: "pending", limit: 100 })
    ).structuredContent.payments.find((p: { orderId: string }) => p.orderId.startsWith("order_"));
    const res = await h.call("wait_for_payment", { paymentId: sample.id, timeoutSeconds: 1 });
    expect(res.isError, textOf(res)).toBeFalsy();
    expect(res.structuredContent.timedOut).toBe(true);
    expect(h.sim.control.requests({ path: `**/payments/${sample.id}` }).length).toBeGreaterThan(0);
  });

  it("wait_for_payment until change since a status the caller saw answers at once when the payment already left it", async () => {
    const created = await h.call("create_payment", { amountInCents: 2500, orderId: "wait-since" });
    const id = created.structuredContent.payment.id;
    // The payment moved on before the wait began (the caller saw pending).
    await h.sim.control.pay(id, { outcome: "exact", wait: true });
    const started = Date.now();
    const res = await h.call("wait_for_payment", {
      paymentId: id,
      until: "change",
      since: "pending",
      timeoutSeconds: 30,
    });
    expect(res.structuredContent).toMatchObject({ status: "completed", final: true, timedOut: false });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("wait_for_payment reports a timeout without failing", async () => {
    const created = await h.call("create_payment", { amountInCents: 2500, orderId: "wait-3" });
    const res = await h.call("wait_for_payment", {
      paymentId: created.structuredContent.payment.id,
      timeoutSeconds: 1,
    });
    expect(res.structuredContent.timedOut).toBe(true);
    expect(textOf(res)).toMatch(/still pending/);
  });
});

describe("withdrawals", () => {
  it("creates, gets and lists a withdrawal", async () => {
    const res = await h.call("create_withdrawal", withdrawal({ amountInCents: 5_000, orderId: "payout-1" }));
    expect(res.isError).toBeFalsy();
    const w = res.structuredContent.withdrawal;
    expect(w.amount).toBe("$50.00");
    expect(w.chainId).toBe("eip155:84532");
    await h.sim.control.completeWithdrawal(w.id, { wait: true });
    const got = await h.call("get_withdrawal", { withdrawalId: w.id });
    expect(got.structuredContent.withdrawal.status).toBe("completed");
    expect(textOf(got)).toMatch(/Receipt: tx 0x/);
    const list = await h.call("list_withdrawals", { status: "completed" });
    expect(list.structuredContent.withdrawals.map((x: { id: string }) => x.id)).toContain(w.id);
  });

  it("rejects a malformed recipient address before anything is sent", async () => {
    const res = await h.call("create_withdrawal", {
      amountInCents: 5000,
      chainId: 84532,
      recipientAddress: "0x123",
    });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/`recipientAddress`.*40 hex/);
  });

  it("an unknown chain name is refused naming the field", async () => {
    const res = await h.call("create_withdrawal", {
      amountInCents: 5000,
      chainId: "narnia",
      recipientAddress: RECIPIENT,
    });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/chainId/);
  });
});

describe("credentials", () => {
  it("a rejected key says so and how test keys look", async () => {
    const bad = await startHarness({ sharedSim: h.sim, env: { SPACEPAY_SECRET_KEY: "sk_test_wrong_key_0" } });
    try {
      const res = await bad.call("list_payments");
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/401/);
      expect(textOf(res)).toMatch(/sk_test_/);
      expect(textOf(res)).not.toContain("sk_test_wrong_key_0");
    } finally {
      await bad.close();
    }
  });

  it("get_withdrawal_config without a bearer token names the variables to set", async () => {
    const noBearer = await startHarness({ sharedSim: h.sim });
    try {
      const res = await noBearer.call("get_withdrawal_config");
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/SPACEPAY_BEARER_TOKEN/);
      expect(textOf(res)).toMatch(/SPACEPAY_MERCHANT_ID/);
    } finally {
      await noBearer.close();
    }
  });
});
