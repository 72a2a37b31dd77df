// Withdrawal events are acted on as payment events are: over the built HTTP server with a webhook
// secret (polling once a minute), a verified withdrawal.updated is fetched by id and wakes a
// 2026-07-28 listen stream on spacepay://withdrawals/{id} at once, the fetch being the only request
// for the withdrawal in between (counted at the simulator); the same event again gives nothing.
import { afterAll, beforeAll, it } from "vitest";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { withdrawal } from "../safety-e2e/helpers.js";
import { expectEventWakesListener, startWebhookServer, type WebhookServer } from "./harness.js";

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
  const made = await other.call("create_withdrawal", withdrawal({ amountInCents: 1_000, orderId }));
  if (made.isError) throw new Error(`create_withdrawal failed: ${JSON.stringify(made.content)}`);
  return made.structuredContent.withdrawal.id;
}

const withdrawalEvent = (eventId: string, withdrawalId: string) =>
  w.deliver({
    body: JSON.stringify({ id: eventId, type: "withdrawal.updated", data: { id: withdrawalId } }),
  });

it("a withdrawal event wakes a listen stream on the withdrawal at once, with only the receiver's fetch in between", async () => {
  const id = await newWithdrawal("withdrawal-event");
  await expectEventWakesListener(w, {
    id,
    uri: `spacepay://withdrawals/${id}`,
    settle: () => w.sim.control.completeWithdrawal(id, { wait: true }),
    deliver: () => withdrawalEvent("evt_withdrawal_done", id),
  });
}, 30_000);
