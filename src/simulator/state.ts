// One simulator's world: settings, clock, seeded id stream, store and the timers that move payments and
// withdrawals from `processing` to their final status.
import { SimClock } from "./clock.js";
import { createRng, type Rng } from "./rng.js";
import { Store } from "./store.js";
import { defaultTokenOn, listChains } from "./registry.js";
import type { WebhookEventType } from "./webhooks.js";

export interface SimConfig {
  secretKey: string;
  bearerToken: string;
  merchantId: string;
  merchantShortName: string;
  expiryMinutes: number;
  processingMs: number;
  /** Merchant payout wallet; null makes `wallet/balances` answer 400 as the API does when none is configured. */
  payoutWallet: string | null;
  backendWallet: string;
  /** Starting payout-wallet balance per chain, in cents of the default withdrawal token. */
  initialBalanceCents: number;
  seed: number;
  samplePayments: number;
}

interface Transition {
  timer: NodeJS.Timeout;
  fire(): void;
  cancel(): void;
}

export class Sim {
  readonly store = new Store();
  readonly clock: SimClock;
  /** Set once the server listens; payment URLs point at it. */
  baseUrl = "";
  ids!: Rng;
  /** Called after a timer changed the world (a transition ran), so a saved world stays current. */
  onChange: () => void = () => {};
  /** A payment or withdrawal was created or changed status: the webhook sender's cue (server.ts). */
  onEvent: (type: WebhookEventType, object: { id: string; status: string }) => void = () => {};
  private readonly transitions = new Map<string, Transition>();

  constructor(
    readonly config: SimConfig,
    clockStart: number,
  ) {
    this.clock = new SimClock(clockStart);
    this.resetData();
  }

  now(): number {
    return this.clock.now();
  }

  /** Empties the store and restarts the id stream, so a reset simulator repeats its first run. */
  resetData(): void {
    this.cancelTransitions();
    this.store.clear();
    this.clock.reset();
    this.ids = createRng(this.config.seed, "ids");
    for (const chain of listChains()) {
      const token = defaultTokenOn(chain.chainId);
      if (token) {
        const raw = BigInt(this.config.initialBalanceCents) * 10n ** BigInt(token.dto.decimals - 2);
        this.store.balances.set(chain.chainId, raw);
      }
    }
  }

  /** Pending payments past their window become `expired`; evaluated lazily on each request. */
  sweepExpired(): void {
    const store = this.store;
    const now = this.now();
    if (now < store.nextExpiry) return;
    let next = Infinity;
    for (const p of store.pending) {
      if (p.status !== "pending") {
        store.pending.delete(p);
      } else if (now >= p.expiresAt) {
        p.status = "expired";
        p.updatedAt = p.expiresAt;
        for (const q of p.quotes) if (q.status === "active") q.status = "expired";
        store.pending.delete(p);
        this.onEvent("payment.updated", p);
      } else if (p.expiresAt < next) next = p.expiresAt;
    }
    store.nextExpiry = next;
  }

  /** Runs `run` after `processingMs` (at once when 0); resolves when it has run or was cancelled. */
  scheduleTransition(id: string, run: () => void): Promise<void> {
    if (this.config.processingMs <= 0) {
      run();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const transition: Transition = {
        timer: setTimeout(() => transition.fire(), this.config.processingMs),
        fire: () => {
          clearTimeout(transition.timer);
          this.transitions.delete(id);
          run();
          this.onChange();
          resolve();
        },
        cancel: () => {
          clearTimeout(transition.timer);
          this.transitions.delete(id);
          resolve();
        },
      };
      transition.timer.unref();
      this.transitions.set(id, transition);
    });
  }

  hasTransition(id: string): boolean {
    return this.transitions.has(id);
  }

  /** Finishes every scheduled transition now; returns how many ran. */
  settleNow(): number {
    const all = [...this.transitions.values()];
    for (const t of all) t.fire();
    return all.length;
  }

  cancelTransitions(): void {
    for (const t of [...this.transitions.values()]) t.cancel();
  }
}
