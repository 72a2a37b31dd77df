// What a new, verified webhook event does. Its payload's status is never trusted: the object is
// fetched by id through the upstream budget, and SpacePay's answer is what counts. A payment's
// immutable facts go into the order index, and whoever watches it (wait_for_payment, subscriptions,
// listen streams), on this instance and with PostgreSQL on every other, hears its status now instead
// of at the next poll. A withdrawal is fetched the same way and wakes its watchers (subscriptions and
// listen streams on spacepay://withdrawals/{id}); it has no place in the order index.
import type { OrderIndex } from "../safety/order-index-sync.js";
import type { PaymentStatus, SpacePayApi, WithdrawalStatus } from "../spacepay/types.js";
import type { WebhookEvent } from "./payload.js";

export interface ActDeps {
  /** The budgeted client (runtime.background). */
  api: SpacePayApi;
  orderIndex: OrderIndex;
  /** Hands SpacePay's answer to the watchers, here and on every instance (runtime.paymentChanged). */
  paymentChanged(paymentId: string, status: PaymentStatus): void;
  /** The same for a withdrawal (runtime.withdrawalChanged). */
  withdrawalChanged(withdrawalId: string, status: WithdrawalStatus): void;
}

export function eventActor(deps: ActDeps): (event: WebhookEvent) => Promise<void> {
  return async (event) => {
    if (!event.objectId) return;
    if (event.object === "withdrawal") {
      const { data: withdrawal } = await deps.api.getWithdrawal(event.objectId);
      return deps.withdrawalChanged(withdrawal.id, withdrawal.status);
    }
    if (event.object !== "payment") return;
    const { data: payment } = await deps.api.getPayment(event.objectId);
    deps.paymentChanged(payment.id, payment.status);
    await deps.orderIndex.record(payment);
  };
}
