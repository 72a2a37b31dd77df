// Withdrawal events are acted on as payment events are: over the built HTTP server with a webhook
// secret (polling once a minute), a verified withdrawal.updated is fetched by id and wakes a
// 2026-07-28 listen stream on spacepay://withdrawals/{id} at once, the fetch being the only request
// for the withdrawal in between (counted at the simulator); the same event again gives nothing.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Client as Client2026 } from "@modelcontextprotocol/client";
import { httpClient2026 } from "../helpers/mcp2026.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import {
  AUTH,
  expectIgnoredRedelivery,
  listenFor,
  requestsFor,
  startWebhookServer,
  type WebhookServer,
} from "./harness.js";

let w: WebhookServer;
/** Another integration of the same merchant, which makes the withdrawals. */
let other: Harness;

beforeAll(async () => {
  w = await startWebhookServer({ secrets: ["whsec_withdrawals_0123456789abcdef"] });
  other = await startHarness({ sharedSim: w.sim });
}, 30_000);
afterAll(async () => {
  await other?.close();
  await w?.close();
});

async function newWithdrawal(orderId: string): Promise<string> {
  const made = await other.call("create_withdrawal", {
    amountInCents: 1_000,
    chainId: "base-sepolia",
    recipientAddress: RECIPIENT,
    orderId,
  });
  if (made.isError) throw new Error(`create_withdrawal failed: ${JSON.stringify(made.content)}`);
  return made.structuredContent.withdrawal.id;
}

const withdrawalEvent = (eventId: string, withdrawalId: string) =>
  w.deliver({
    body: JSON.stringify({ id: eventId, type: "withdrawal.updated", data: { id: withdrawalId } }),
  });

it("a withdrawal event wakes a listen stream on the withdrawal at once, with only the receiver's fetch in between", async () => {
  const listener: Client2026 = await httpClient2026(w.server.url, AUTH);
  try {
    const id = await newWithdrawal("withdrawal-event");
    const uri = `spacepay://withdrawals/${id}`;
    const { updates, heard, sub } = await listenFor(listener, uri);
    await w.sim.control.completeWithdrawal(id, { wait: true });
    const before = requestsFor(w.sim, id);

    const sent = Date.now();
    expect(await withdrawalEvent("evt_withdrawal_done", id)).toEqual({
      status: 200,
      body: { received: true },
    });
    await heard;
    // Far sooner than the next poll (a minute away).
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(updates).toEqual([uri]);
    expect(requestsFor(w.sim, id) - before).toBe(1);

    // Delivered again: acknowledged, nothing fetched, so nothing woken.
    await expectIgnoredRedelivery(
      () => withdrawalEvent("evt_withdrawal_done", id),
      () => requestsFor(w.sim, id) - before,
      updates,
      uri,
    );
    await sub.close();
  } finally {
    await listener.close();
  }
}, 30_000);
