// The money-moving safety layer: policy, confirmation, idempotency, durable state and audit, behind
// one guard the MCP server wraps around money-moving tools.
export { createGuard, stoppingResult } from "./guard.js";
export type {
  ApprovalCall,
  ApprovalLookup,
  ExecuteResult,
  FailureClass,
  Guard,
  GuardDeps,
  GuardedCall,
  ServerGuard,
} from "./guard.js";
export { pickChannel } from "./channel.js";
export type {
  Asked,
  Channel,
  ChannelContext,
  ChannelName,
  ClientAbilities,
  ConfirmableCall,
  ConfirmationEnv,
  ElicitAction,
  ElicitFn,
  Picked,
  Presented,
} from "./channel.js";
export { STATUSES, STATUS_NAMES } from "./results.js";
export type { GuardResult, GuardStatus } from "./results.js";
export type { ConfirmationRecord, ConfirmationState } from "./confirmations.js";
export type { CallRecord, CallState } from "./calls.js";
export { checkPolicy, checkDailyLimit, isAllowedRecipient, sameAddress, DAY_MS } from "./policy.js";
export type { Refusal, SafetyPolicy } from "./policy.js";
export { openStateStore, SCHEMA_VERSION, STATE_FILE } from "./store.js";
export type { SqliteStore } from "./store.js";
export { StateUnavailableError } from "./state.js";
export { openState } from "./open-state.js";
export type { AuditTrail, OpenStateOptions, StateBackend, StateStore } from "./state.js";
export type { LedgerEntry, LedgerStatus, ReserveRequest, ReserveResult, WithdrawalLedger } from "./ledger.js";
export { openAuditLog, readRecent, AUDIT_FILE } from "./audit.js";
export type {
  AuditEntry,
  AuditFs,
  AuditLock,
  AuditLog,
  AuditLogOptions,
  AuditOutcome,
  ConfirmedBy,
} from "./audit.js";
export { chainHash, verifyChain, splitLines, GENESIS_HASH } from "./audit-chain.js";
export type { ChainVerdict } from "./audit-chain.js";
export { StateDirError } from "./private-files.js";
export { reconcileLedger } from "./reconcile.js";
export type { ReconcileApi, ReconcileReport } from "./reconcile.js";
export {
  buildElicitation,
  canonicalArgs,
  canonicalJson,
  confirmationSummary,
  describeAction,
  diffArgs,
  TOKEN_ARG,
} from "./confirm.js";
export type { ConfirmationSummary, ElicitationRequest, ArgChange } from "./confirm.js";
export { derivePaymentKey, fingerprintMerchantKey } from "./idempotency.js";
