// A simulator with a state file carries its world over to the next one started on that file: what it
// created, its clock, its id stream and its idempotency outcomes (a retried POST still replays).
import path from "node:path";
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { api, createPayment, RECIPIENT, sim, W } from "./helpers.js";
import { BASE_SEPOLIA } from "../helpers/mcp-harness.js";

describe("simulator state file", () => {
  it("a restarted simulator keeps payments, withdrawals, clock and idempotency replays", async ({
    stateDir,
  }) => {
    const file = path.join(stateDir, "simulator.json");
    const first = await sim({ stateFile: file, samplePayments: 3 });
    const c1 = api(first);
    const payment = await createPayment(first, { orderId: "kept" });
    const withdrawal = { amountInCents: 500, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT };
    const w1 = (await c1.post(W, withdrawal, { idempotencyKey: "retry-me" })).body as { id: string };
    expect(w1.id).toEqual(expect.any(String));
    // The clock as it stood when advanced; the world is saved just after, so never earlier than this.
    const advanced = new Date(
      ((await c1.post("/__simulator/clock/advance", { minutes: 90 })).body as { now: string }).now,
    );
    await first.close();

    // port 0: a fresh port, not the saved one, so this process's keep-alive sockets to the first
    // simulator cannot be mistaken for connections to the second (a restarted process has none).
    const second = await sim({ stateFile: file, samplePayments: 3, port: 0 });
    const c2 = api(second);
    expect(second.control.counts()).toMatchObject({ payments: 4, withdrawals: 1 });
    expect(second.control.getPayment(payment.id)?.orderId).toBe("kept");
    expect(second.control.paymentSecret(payment.id)).toBe(payment.secret);
    expect(second.control.now().getTime()).toBeGreaterThanOrEqual(advanced.getTime());
    const replay = await c2.post(W, withdrawal, { idempotencyKey: "retry-me" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((replay.body as { id: string }).id).toBe(w1.id);
    // The id stream continues where it stopped: a new payment does not reuse an id.
    const next = await createPayment(second, { orderId: "new" });
    expect(second.control.counts().payments).toBe(5);
    expect(next.id).not.toBe(payment.id);
  });

  it("without a state file, every start is the same fresh world", async () => {
    const a = await sim({ samplePayments: 2 });
    await createPayment(a);
    const b = await sim({ samplePayments: 2 });
    expect(b.control.counts().payments).toBe(2);
  });
});
