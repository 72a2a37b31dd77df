// Withdrawal behaviour: creation, and the control-driven lifecycle pending → processing → completed/failed
// that debits the payout wallet when a withdrawal completes.
import { ApiError } from "./errors.js";
import type { Tx, Withdrawal } from "./model.js";
import { defaultTokenOn, type TokenEntry } from "./registry.js";
import type { Sim } from "./state.js";

export interface NewWithdrawal {
  amountInCents: number;
  chainId: string;
  recipientAddress: string;
  orderId?: string;
  customMetadata?: string;
}

export function createWithdrawal(sim: Sim, input: NewWithdrawal): Withdrawal {
  const now = sim.now();
  const w: Withdrawal = {
    id: sim.ids.uuid(),
    amountInCents: input.amountInCents,
    chainId: input.chainId,
    recipientAddress: input.recipientAddress,
    status: "pending",
    orderId: input.orderId ?? null,
    customMetadata: input.customMetadata ?? null,
    errorMessage: null,
    receipt: null,
    createdAt: now,
    updatedAt: now,
  };
  sim.store.addWithdrawal(w);
  sim.onEvent("withdrawal.created", w);
  return w;
}

export interface FinishOptions {
  txHash?: string;
  /** For a failure: the `errorMessage` to show. */
  errorMessage?: string;
}

/**
 * Moves a withdrawal to `processing` now and to `completed` (or `failed`) after the processing delay.
 * Completing fails instead when the payout wallet cannot cover the amount.
 */
export function finishWithdrawal(
  sim: Sim,
  w: Withdrawal,
  outcome: "completed" | "failed",
  opts: FinishOptions = {},
): { settled: Promise<void> } {
  if ((w.status !== "pending" && w.status !== "processing") || sim.hasTransition(w.id)) {
    throw new ApiError(
      409,
      "invalid_request_error",
      "withdrawal_not_pending",
      `Withdrawal is ${sim.hasTransition(w.id) ? "already being finished" : w.status}`,
    );
  }
  w.status = "processing";
  w.updatedAt = sim.now();
  sim.onEvent("withdrawal.updated", w);
  const settled = sim.scheduleTransition(w.id, () => {
    const now = sim.now();
    const token = defaultTokenOn(w.chainId) as TokenEntry;
    const raw = BigInt(w.amountInCents) * 10n ** BigInt(token.dto.decimals - 2);
    const balance = sim.store.balances.get(w.chainId) ?? 0n;
    w.updatedAt = now;
    if (outcome === "failed" || balance < raw) {
      w.status = "failed";
      w.errorMessage =
        outcome === "failed" ? (opts.errorMessage ?? "Withdrawal failed on chain") : "Insufficient balance";
      sim.onEvent("withdrawal.updated", w);
      return;
    }
    sim.store.balances.set(w.chainId, balance - raw);
    const tx: Tx = {
      hash: opts.txHash ?? `0x${sim.ids.hex(64)}`,
      sender: sim.config.payoutWallet ?? sim.config.backendWallet,
      blockNumber: 10_000_000 + Math.floor((now / 2000) % 1_000_000),
      timestamp: now,
    };
    w.status = "completed";
    w.receipt = { tokenId: token.dto.id, settledAmountAsset: raw, tx, createdAt: now };
    sim.onEvent("withdrawal.updated", w);
  });
  return { settled };
}
