// The one state interface the guard, reconciliation and the runtime use, whichever backend holds it:
// SQLite in the state directory (the embedded default, one machine) or PostgreSQL
// (SPACEPAY_DATABASE_URL, shared by every instance). Async, because PostgreSQL is; open-state.ts loads
// each backend on first use, so a server that never moves money loads neither.
import type { SecretStore } from "../domain.js";
import type { ApprovalStore } from "./approvals.js";
import type { AuditEntry, AuditFs } from "./audit.js";
import type { AuditMark } from "./audit-chain.js";
import type { WithdrawalLedger } from "./ledger.js";
import type { CallStore } from "./calls.js";
import type { ConfirmationStore } from "./confirmations.js";
import type { ClaimsSealer } from "./seal.js";
import type { OrderIndexStore } from "./order-index.js";
import type { WebhookEventStore } from "./webhook-events.js";

/** `T` with every method answering through a Promise: the backends' common shape. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K];
};

export type StateLedger = Async<WithdrawalLedger>;
export type StateConfirmations = Async<ConfirmationStore>;
export type StateCalls = Async<CallStore>;

export interface AuditTrail {
  /** Where the trail is, for messages: a file path, or "the PostgreSQL database". */
  readonly where: string;
  /** Resolves with the entry's mark once it is durable (fsynced, or committed); rejects when it could not be. */
  append(entry: AuditEntry): Promise<AuditMark>;
  /** The last `n` entries, oldest first, without their chain hash. */
  readRecent(n: number): Promise<AuditEntry[]>;
}

export type StateBackend = "sqlite" | "postgres";

/** Payment and withdrawal statuses shared between instances on one database (pg-events.ts). */
export interface PaymentEventChannel {
  /** Tells every other instance listening that SpacePay says this payment (or withdrawal) is now `status`. */
  publish(id: string, status: string, kind?: "payment" | "withdrawal"): Promise<void>;
  /**
   * Starts listening: each status another instance publishes reaches `onStatus` (this instance's own
   * are left out: it woke its watchers itself). `onListening` runs each time LISTEN is in place.
   * Returns the stop.
   */
  listen(
    onStatus: (id: string, status: string, kind: "payment" | "withdrawal") => void,
    onListening?: () => void,
  ): () => Promise<void>;
}

export interface StateStore {
  readonly backend: StateBackend;
  /** Where the state is, for messages; never a URL or a password. */
  readonly where: string;
  readonly schemaVersion: number;
  readonly secrets: Required<Async<SecretStore>>;
  readonly ledger: StateLedger;
  /** Pending confirmations (tokens, approval handles, requestStates, …), each decided once on any instance. */
  readonly confirmations: StateConfirmations;
  /** Guarded calls past confirmation: the send lease and the sealed answer replays return. */
  readonly calls: StateCalls;
  /** Seals and opens claims (MCP requestState, stored artefacts and answers) with the state key; synchronous, CPU only. */
  readonly claims: ClaimsSealer;
  readonly audit: AuditTrail;
  /** Passkey approvals: roster, enrollment links, pending approvals, challenges (approvals.ts). */
  readonly approvals: ApprovalStore;
  /** The order index: orderId → payment ids, createdAt and type (order-index.ts). */
  readonly orderIndex: OrderIndexStore;
  /** Webhook event ids already received, for deduplication across instances (webhook-events.ts). */
  readonly webhookEvents: WebhookEventStore;
  /** Payment statuses shared with every instance on the database (PostgreSQL only: pg-events.ts). */
  readonly paymentEvents?: PaymentEventChannel;
  /** A round trip to the backend (readiness): rejects when it cannot be reached or written. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStateOptions {
  /** SPACEPAY_STATE_DIR: the SQLite file and audit.jsonl when there is no database URL. */
  stateDir: string;
  /** SPACEPAY_DATABASE_URL: everything in PostgreSQL instead. */
  databaseUrl?: string | null;
  /** SPACEPAY_STATE_KEY; required with a database URL, else SQLite generates one into the state directory. */
  stateKey?: Buffer | null;
  /** The audit file's write and fsync (tests inject failures); SQLite backend only. */
  auditFs?: AuditFs;
}

/**
 * Thrown when the state backend cannot be reached: says which, never how to log in to it. The guard
 * turns it into a refusal before anything is sent (an approval card's answer too: the handle's
 * lookup refuses the same way, never "not recognised").
 */
export class StateUnavailableError extends Error {
  constructor(
    message: string,
    readonly setting: string,
  ) {
    super(message);
    this.name = "StateUnavailableError";
  }
}

/** Wraps each method of a synchronous object so it answers through a Promise (a throw rejects). */
export function asyncMethods<T extends object>(target: T): Async<T> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    out[name] =
      typeof value === "function"
        ? (...args: unknown[]) => {
            try {
              return Promise.resolve((value as (...a: unknown[]) => unknown)(...args));
            } catch (err) {
              return Promise.reject(err);
            }
          }
        : value;
  }
  return out as Async<T>;
}
