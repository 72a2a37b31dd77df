// The in-process control handle: everything the `/__simulator/` HTTP control API does, callable directly
// from tests (pay a payment, move the clock, finish withdrawals, inject faults, read requests, reset, seed).
import type { WireMerchantPayment, WireWithdrawal } from "../spacepay/wire.js";
import { invalid, notFound } from "./errors.js";
import { globToRegExp, type FaultRule, type FaultSet, type FaultSpec } from "./faults.js";
import type { IdempotencyStore } from "./idempotency.js";
import { pay, type PayOptions } from "./payments.js";
import type { RecordedRequest, Recorder } from "./recorder.js";
import { seedPayments } from "./seed.js";
import type { Sim } from "./state.js";
import { merchantPaymentDto, withdrawalDto } from "./views.js";
import { finishWithdrawal } from "./withdrawals.js";
import type { WebhookDelivery, WebhookSender, WebhookTarget } from "./webhooks.js";

export interface SimulatorInfo {
  url: string;
  secretKey: string;
  bearerToken: string;
  merchantId: string;
  seed: number;
}

export interface SimulatorCounts {
  payments: number;
  withdrawals: number;
  quotes: number;
  /** API requests received since the last reset (control requests excluded). */
  requests: number;
}

export interface ControlPayOptions extends PayOptions {
  /** Resolve only once the payment reached its final status (otherwise at `processing`). */
  wait?: boolean;
}

export interface RequestFilter {
  method?: string;
  /** Path glob (`*` one segment, `**` any) or RegExp. */
  path?: string | RegExp;
}

export interface SimulatorControl {
  info(): SimulatorInfo;
  /** The simulator clock. */
  now(): Date;
  /** Moves the simulator clock forward; a number is milliseconds. Pending payments past their window expire. */
  advanceClock(by: number | { ms?: number; minutes?: number }): Date;
  /** A customer pays: pending → processing → completed (`exact`, `over`) or failed (`under`). */
  pay(paymentId: string, options?: ControlPayOptions): Promise<WireMerchantPayment>;
  /** Finishes every payment/withdrawal still in `processing` now; returns how many. */
  settleNow(): number;
  completeWithdrawal(
    withdrawalId: string,
    options?: { txHash?: string; wait?: boolean },
  ): Promise<WireWithdrawal>;
  failWithdrawal(
    withdrawalId: string,
    options?: { errorMessage?: string; wait?: boolean },
  ): Promise<WireWithdrawal>;
  addFault(spec: FaultSpec): FaultRule;
  listFaults(): FaultRule[];
  /** Removes one fault, or all; returns how many were removed. */
  clearFaults(id?: string): number;
  requests(filter?: RequestFilter): RecordedRequest[];
  clearRequests(): void;
  /** Back to the state right after start: data, clock offset, faults, requests, idempotency keys. */
  reset(): void;
  /** Adds `count` sample payments (seeded by `seed`, default the simulator's); returns their ids. */
  seed(count: number, seed?: number): string[];
  counts(): SimulatorCounts;
  getPayment(paymentId: string): WireMerchantPayment | undefined;
  /** The payment secret a payment was issued (sample payments have one too). */
  paymentSecret(paymentId: string): string | undefined;
  getWithdrawal(withdrawalId: string): WireWithdrawal | undefined;
  /** Sends signed webhooks for every change from now on to `target` (with its faults); null stops. */
  webhooks(target: WebhookTarget | null): void;
  /** Every webhook delivery attempt so far (the last 1,000), oldest first. */
  webhookDeliveries(): WebhookDelivery[];
  /** Resolves once no webhook is waiting to be sent or in flight. */
  webhooksIdle(): Promise<void>;
}

export interface ControlDeps {
  sim: Sim;
  faults: FaultSet;
  recorder: Recorder;
  idempotency: IdempotencyStore;
  webhooks: WebhookSender;
}

export function createControl({
  sim,
  faults,
  recorder,
  idempotency,
  webhooks,
}: ControlDeps): SimulatorControl {
  let batches = 0;
  const seedStartup = (): void => {
    if (sim.config.samplePayments > 0) {
      seedPayments(sim, sim.config.samplePayments, sim.config.seed, batches++, sim.clock.startMs);
    }
  };
  const payment = (id: string) => {
    sim.sweepExpired();
    const p = sim.store.payments.get(id);
    if (!p) throw notFound("payment_not_found", "Payment not found");
    return p;
  };
  const withdrawal = (id: string) => {
    const w = sim.store.withdrawals.get(id);
    if (!w) throw notFound("withdrawal_not_found", "Withdrawal not found");
    return w;
  };
  const finish = async (
    id: string,
    outcome: "completed" | "failed",
    opts: { txHash?: string; errorMessage?: string; wait?: boolean },
  ): Promise<WireWithdrawal> => {
    const w = withdrawal(id);
    const { settled } = finishWithdrawal(sim, w, outcome, opts);
    if (opts.wait) await settled;
    return withdrawalDto(sim, w);
  };

  const control: SimulatorControl = {
    info: () => ({
      url: sim.baseUrl,
      secretKey: sim.config.secretKey,
      bearerToken: sim.config.bearerToken,
      merchantId: sim.config.merchantId,
      seed: sim.config.seed,
    }),
    now: () => new Date(sim.now()),
    advanceClock: (by) => {
      const ms = typeof by === "number" ? by : (by.ms ?? 0) + (by.minutes ?? 0) * 60_000;
      if (!Number.isFinite(ms) || ms < 0)
        throw invalid("parameter_out_of_range", "the clock only moves forward", "ms");
      const at = sim.clock.advance(ms);
      sim.sweepExpired();
      return new Date(at);
    },
    pay: async (paymentId, options = {}) => {
      const outcome = options.outcome;
      if (outcome !== undefined && !["exact", "under", "over"].includes(outcome)) {
        throw invalid("parameter_invalid_enum", "outcome must be one of: exact, under, over", "outcome");
      }
      const p = payment(paymentId);
      const { settled } = pay(sim, p, options);
      if (options.wait) await settled;
      return merchantPaymentDto(sim, p);
    },
    settleNow: () => sim.settleNow(),
    completeWithdrawal: (id, options = {}) => finish(id, "completed", options),
    failWithdrawal: (id, options = {}) => finish(id, "failed", options),
    addFault: (spec) => faults.add(spec),
    listFaults: () => faults.list(),
    clearFaults: (id) => faults.clear(id),
    requests: (filter = {}) => {
      const method = filter.method?.toUpperCase();
      const path =
        filter.path === undefined
          ? undefined
          : typeof filter.path === "string"
            ? globToRegExp(filter.path)
            : filter.path;
      return recorder
        .list()
        .filter(
          (r) => (method === undefined || r.method === method) && (path === undefined || path.test(r.path)),
        );
    },
    clearRequests: () => recorder.clear(),
    reset: () => {
      sim.resetData();
      faults.reset();
      recorder.clear();
      idempotency.clear();
      batches = 0;
      seedStartup();
    },
    seed: (count, seed) => {
      if (!Number.isInteger(count) || count < 0 || count > 1_000_000) {
        throw invalid("parameter_out_of_range", "count must be an integer between 0 and 1000000", "count");
      }
      return seedPayments(sim, count, seed ?? sim.config.seed, batches++, sim.now()).map((p) => p.id);
    },
    counts: () => ({
      payments: sim.store.payments.size,
      withdrawals: sim.store.withdrawals.size,
      quotes: sim.store.quoteCount,
      requests: recorder.total,
    }),
    getPayment: (id) => {
      sim.sweepExpired();
      const p = sim.store.payments.get(id);
      return p && merchantPaymentDto(sim, p);
    },
    paymentSecret: (id) => sim.store.payments.get(id)?.secret,
    getWithdrawal: (id) => {
      const w = sim.store.withdrawals.get(id);
      return w && withdrawalDto(sim, w);
    },
    webhooks: (target) => {
      if (target) {
        let url: URL | null = null;
        try {
          url = new URL(target.url);
        } catch {
          // Refused below.
        }
        if (!url || !["http:", "https:"].includes(url.protocol))
          throw invalid("parameter_invalid", "url must be an http(s) URL", "url");
        if (!target.secret) throw invalid("parameter_missing", "secret is required", "secret");
      }
      webhooks.configure(target);
    },
    webhookDeliveries: () => webhooks.deliveries(),
    webhooksIdle: () => webhooks.idle(),
  };
  seedStartup();
  return control;
}
