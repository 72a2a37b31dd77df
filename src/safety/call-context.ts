// One guarded call as the guard, its channels and sending see it: values computed once (canonical
// arguments, identity, fingerprint), the audit helpers, and the idempotency key choice.
import type { AuditEntry, ConfirmedBy } from "./audit.js";
import type { AuditMark } from "./audit-chain.js";
import type { ConfirmationEnv } from "./channel.js";
import {
  argsFingerprint,
  canonicalArgs,
  canonicalJson,
  cleanSummary,
  hashToken,
  TOKEN_ARG,
} from "./confirm.js";
import { presents } from "./confirmation.js";
import { callIdentity } from "./identity.js";
import { derivePaymentKey, newWithdrawalKey, paymentTypeOf } from "./idempotency.js";
import { DAY_MS, checkDailyLimit, type Refusal } from "./policy.js";
import { refusalResult, type GuardResult } from "./results.js";
import { telemetry } from "../telemetry.js";
import { reportOutcome, type GuardedCall, type SendContext } from "./send.js";

/** What every call of one guard shares. */
export interface CallShared {
  env: ConfirmationEnv;
  stopping(): boolean;
}

/** Per-call values and audit helpers, computed once. */
export class CallContext implements SendContext {
  readonly env: ConfirmationEnv;
  readonly canonical: string;
  readonly fingerprint: string;
  readonly callId: string;
  readonly callerKey: string | undefined;
  /** The call carries an answer to an earlier confirmation. */
  readonly answering: boolean;
  readonly auditArgs: Record<string, unknown>;
  tokenId: string | undefined;
  approvers: string[] | undefined;
  afterSend: ((sent: boolean) => Promise<void>) | undefined;

  constructor(
    readonly call: GuardedCall,
    private readonly shared: CallShared,
  ) {
    this.env = shared.env;
    const { place } = shared.env;
    this.canonical = canonicalJson(call.args);
    this.fingerprint = argsFingerprint(call.tool, call.args);
    this.callId = callIdentity(call.tool, call.args, call.caller, place);
    const key = call.args.idempotencyKey;
    this.callerKey = typeof key === "string" && key !== "" ? key : undefined;
    const shown = presents(call);
    this.answering = shown.token || shown.handle || shown.requestState;
    if (shown.token) this.tokenId = hashToken(String(call.args[TOKEN_ARG])).slice(0, 12);
    this.auditArgs = { summary: cleanSummary(call.summary), arguments: canonicalArgs(call.args) };
  }

  get isWithdrawal(): boolean {
    return this.call.summary.action === "create_withdrawal";
  }

  stopping(): boolean {
    return this.shared.stopping();
  }

  async record(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<void> {
    await this.append(entry);
  }

  append(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<AuditMark> {
    if (entry.event === "outcome") reportOutcome(this.call, entry.outcome ?? "done", entry);
    return telemetry.step("audit", () =>
      this.env.store.audit.append({
        time: this.env.clock().toISOString(),
        tool: this.call.tool,
        ...(this.call.caller !== undefined && { caller: this.call.caller }),
        args: this.auditArgs,
        ...(this.tokenId ? { tokenId: this.tokenId } : {}),
        ...(this.approvers ? { approvers: this.approvers } : {}),
        ...entry,
      }),
    );
  }

  async refuse(refusal: Refusal, by: ConfirmedBy | null): Promise<GuardResult> {
    await this.record({
      event: "outcome",
      outcome: "refused",
      rule: refusal.rule,
      confirmation: by,
      idempotencyKey: null,
    });
    return refusalResult(refusal);
  }

  /**
   * The key a retry of this exact withdrawal should reuse: one whose earlier attempt is still
   * unresolved (reserved or sent) in the ledger.
   */
  async unresolvedKey(): Promise<string | undefined> {
    return this.isWithdrawal
      ? (await this.env.store.ledger.findUnresolved(this.fingerprint))?.idempotencyKey
      : undefined;
  }

  /** Refuse before asking the user when the cap is already reached (the reserve re-checks atomically). */
  async rollingPreCheck(): Promise<Refusal | null> {
    // An answer is checked at reservation time, where its own earlier entry is not double counted.
    if (!this.isWithdrawal || this.answering) return null;
    const amount = this.call.summary.amountInCents ?? 0;
    const used = await this.env.store.ledger.usedCents(
      this.env.clock(),
      DAY_MS,
      this.callerKey ?? (await this.unresolvedKey()),
    );
    return checkDailyLimit(amount, used, this.env.policy.dailyWithdrawalLimitCents);
  }

  /** Payments: caller's key, else derived. Withdrawals: caller's, else a pending retry's, else new. */
  async chooseKey(bound?: string): Promise<string> {
    if (this.callerKey) return this.callerKey;
    if (bound) return bound;
    const { call } = this;
    if (!this.isWithdrawal) {
      return derivePaymentKey({
        merchantKeyFingerprint: this.env.place.merchantKeyFingerprint,
        tool: call.tool,
        orderId: call.summary.orderId,
        amountInCents: call.summary.amountInCents,
        currency: call.summary.currency,
        type: paymentTypeOf(call.summary, call.args),
      });
    }
    return (await this.unresolvedKey()) ?? newWithdrawalKey();
  }
}
