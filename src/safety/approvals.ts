// Passkey approvals in the state store: the approver roster (names, OAuth subjects, passkeys), one-time
// enrollment links, pending approvals with their votes, and single-use WebAuthn challenges, over the
// statements in approvals-sql.ts (the same for SQLite and PostgreSQL).
import { createHash, randomBytes } from "node:crypto";
import type { Mode, MoneySummary } from "../domain.js";
import { APPROVAL_SQL as SQL } from "./approvals-sql.js";

/** How either backend runs one statement: its rows, or how many rows it changed. */
export interface SqlRunner {
  rows<R>(sql: string, params?: Record<string, unknown>): Promise<R[]>;
  run(sql: string, params?: Record<string, unknown>): Promise<number>;
}

/** Decided approvals and used links are kept this long, so a repeat still gets the true answer. */
export const APPROVAL_RETENTION_MS = 7 * 24 * 3600 * 1000;

export type ApprovalState = "pending" | "approved" | "declined" | "claimed" | "done";

export interface Approver {
  name: string;
  subject: string | null;
  passkeys: number;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface Passkey {
  credentialId: string;
  approver: string;
  /** base64url COSE public key. */
  publicKey: string;
  counter: number;
  transports: string[];
}

export interface Enrollment {
  approver: string;
  subject: string | null;
  expiresAt: number;
  state: "open" | "done";
}

export interface PendingApproval {
  id: string;
  tool: string;
  caller: string | null;
  mode: Mode;
  idempotencyKey: string;
  summary: MoneySummary;
  /** How many distinct approvers must approve: 1, or 2 above the threshold. */
  needed: number;
  state: ApprovalState;
  /** Names of the approvers who approved so far, in order. */
  approvedBy: string[];
  failures: number;
  createdAt: number;
  expiresAt: number;
}

export type NewApproval = Pick<
  PendingApproval,
  "tool" | "caller" | "mode" | "idempotencyKey" | "summary" | "needed"
> & {
  /** Tool, canonical arguments, caller and mode, as the channel identifies a call. */
  identity: string;
  now: Date;
  ttlMs: number;
};

export interface ApprovalStore {
  /** A one-time enrollment link id for `name` (valid `ttlMs`); only its hash is stored. */
  createEnrollment(name: string, subject: string | null, now: Date, ttlMs: number): Promise<string>;
  enrollment(id: string): Promise<Enrollment | undefined>;
  /** Uses the link once and registers the passkey; false when the link is used, expired or unknown. */
  completeEnrollment(id: string, passkey: Omit<Passkey, "approver">, now: Date): Promise<boolean>;
  approver(name: string): Promise<Approver | undefined>;
  listApprovers(): Promise<Approver[]>;
  /** True when there was such an approver; their passkeys go with them. */
  removeApprover(name: string): Promise<boolean>;
  /** Approvers with at least one passkey. */
  enrolledCount(): Promise<number>;
  passkey(credentialId: string): Promise<Passkey | undefined>;
  passkeysOf(approver: string): Promise<Passkey[]>;
  /** Moves the signature counter from `previous` to `next`; false when another use moved it first. */
  advanceCounter(credentialId: string, previous: number, next: number, now: Date): Promise<boolean>;

  /** The approval for this call: the live one identical repeats share, or a new one. */
  open(req: NewApproval): Promise<PendingApproval>;
  get(id: string): Promise<PendingApproval | undefined>;
  /** Counts `approver` once and approves when enough distinct approvers have; the approval after it. */
  vote(id: string, approver: string, credentialId: string, now: Date): Promise<PendingApproval | undefined>;
  /** Declines an undecided approval; the approval after it (declined, or whatever it already was). */
  decline(id: string, now: Date): Promise<PendingApproval | undefined>;
  /** The one call that may proceed: approved → claimed; false for anyone else. */
  claim(id: string, now: Date): Promise<boolean>;
  /** Claimed → done (sent), or claimed → approved again (nothing can have been sent). */
  settle(id: string, outcome: "done" | "approved", now: Date): Promise<void>;
  /** Counts a refused assertion; the count after it. */
  countFailure(id: string): Promise<number>;

  issueChallenge(challenge: string, purpose: string, expiresAt: number): Promise<void>;
  /** Uses a challenge once for `purpose`; false when unknown, used, expired or issued for another purpose. */
  takeChallenge(challenge: string, purpose: string, now: Date): Promise<boolean>;
  prune(now: Date): Promise<void>;
}

/** Random ids in URLs: 128 bits, base64url. */
export const newId = (): string => randomBytes(16).toString("base64url");

/** What is stored of an enrollment link's id: the link registers passkeys, so it is kept like a token. */
export const hashEnrollmentId = (id: string): string =>
  createHash("sha256").update(`enrollment:${id}`).digest("hex");

interface ApproverRow {
  name: string;
  subject: string | null;
  created_at: number | string;
  last_used_at: number | string | null;
  passkeys?: number | string;
}
interface PasskeyRow {
  credential_id: string;
  approver: string;
  public_key: string;
  counter: number | string;
  transports: string | null;
}
interface ApprovalRow {
  id: string;
  tool: string;
  caller: string | null;
  mode: Mode;
  idempotency_key: string;
  summary: string;
  needed: number | string;
  state: ApprovalState;
  failures: number | string;
  created_at: number | string;
  expires_at: number | string;
}

const toApprover = (r: ApproverRow): Approver => ({
  name: r.name,
  subject: r.subject,
  passkeys: Number(r.passkeys ?? 0),
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});
const toPasskey = (r: PasskeyRow): Passkey => ({
  credentialId: r.credential_id,
  approver: r.approver,
  publicKey: r.public_key,
  counter: Number(r.counter),
  transports: r.transports ? (JSON.parse(r.transports) as string[]) : [],
});

/** The approvals store over either backend's statement runner. */
export function createApprovalStore(db: SqlRunner): ApprovalStore {
  const one = async <R>(sql: string, params: Record<string, unknown>) => (await db.rows<R>(sql, params))[0];
  const get = async (id: string): Promise<PendingApproval | undefined> => {
    const row = await one<ApprovalRow>(SQL.approvalById, { id });
    if (!row) return undefined;
    const votes = await db.rows<{ approver: string }>(SQL.votesOf, { id });
    return {
      id: row.id,
      tool: row.tool,
      caller: row.caller,
      mode: row.mode,
      idempotencyKey: row.idempotency_key,
      summary: JSON.parse(row.summary) as MoneySummary,
      needed: Number(row.needed),
      state: row.state,
      approvedBy: votes.map((v) => v.approver),
      failures: Number(row.failures),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    };
  };
  const approver = async (name: string) => {
    const row = await one<ApproverRow>(SQL.approverByName, { name });
    return row && toApprover(row);
  };

  return {
    async createEnrollment(name, subject, now, ttlMs) {
      const id = newId();
      await db.run(SQL.enrollmentInsert, {
        idHash: hashEnrollmentId(id),
        approver: name,
        subject,
        now: now.getTime(),
        expiresAt: now.getTime() + ttlMs,
      });
      return id;
    },
    async enrollment(id) {
      const row = await one<{
        approver: string;
        subject: string | null;
        expires_at: string;
        state: "open" | "done";
      }>(SQL.enrollmentById, { idHash: hashEnrollmentId(id) });
      return (
        row && {
          approver: row.approver,
          subject: row.subject,
          expiresAt: Number(row.expires_at),
          state: row.state,
        }
      );
    },
    async completeEnrollment(id, passkey, now) {
      const idHash = hashEnrollmentId(id);
      // The link is used first: of two registrations racing on it, one goes on.
      if ((await db.run(SQL.enrollmentClose, { idHash, now: now.getTime() })) !== 1) return false;
      const link = await one<{ approver: string; subject: string | null }>(SQL.enrollmentById, { idHash });
      if (!link) return false;
      await db.run(SQL.approverInsert, { name: link.approver, subject: link.subject, now: now.getTime() });
      await db.run(SQL.passkeyInsert, {
        ...passkey,
        approver: link.approver,
        transports: JSON.stringify(passkey.transports),
        now: now.getTime(),
      });
      return true;
    },
    approver,
    listApprovers: async () => (await db.rows<ApproverRow>(SQL.approverList)).map(toApprover),
    async removeApprover(name) {
      await db.run(SQL.votesOfRemoved, { name });
      return (await db.run(SQL.approverDelete, { name })) === 1;
    },
    enrolledCount: async () => Number((await one<{ n: number | string }>(SQL.enrolledCount, {}))?.n ?? 0),
    async passkey(credentialId) {
      const row = await one<PasskeyRow>(SQL.passkeyById, { credentialId });
      return row && toPasskey(row);
    },
    passkeysOf: async (name) =>
      (await db.rows<PasskeyRow>(SQL.passkeysOf, { approver: name })).map(toPasskey),
    async advanceCounter(credentialId, previous, next, now) {
      return (await db.run(SQL.passkeyCounter, { credentialId, previous, next, now: now.getTime() })) === 1;
    },

    async open(req) {
      const now = req.now.getTime();
      // An approval never used expires and sends nothing; an identical call after it starts afresh.
      await db.run(SQL.approvalDropExpired, { identity: req.identity, now });
      await db.run(SQL.approvalInsert, {
        id: newId(),
        identity: req.identity,
        tool: req.tool,
        caller: req.caller,
        mode: req.mode,
        idempotencyKey: req.idempotencyKey,
        summary: JSON.stringify(req.summary),
        needed: req.needed,
        now,
        expiresAt: now + req.ttlMs,
      });
      const row = await one<{ id: string }>(SQL.approvalByIdentity, { identity: req.identity });
      return (await get(row!.id))!;
    },
    get,
    async vote(id, name, credentialId, now) {
      const at = now.getTime();
      await db.run(SQL.voteInsert, { id, approver: name, credentialId, now: at });
      await db.run(SQL.approvalApprove, { id, now: at });
      await db.run(SQL.approverUsed, { name, now: at });
      return get(id);
    },
    async decline(id, now) {
      await db.run(SQL.approvalDecline, { id, now: now.getTime() });
      return get(id);
    },
    claim: async (id, now) => (await db.run(SQL.approvalClaim, { id, now: now.getTime() })) === 1,
    async settle(id, outcome, now) {
      await db.run(SQL.approvalSet, { id, state: outcome, from: "claimed", now: now.getTime() });
    },
    async countFailure(id) {
      await db.run(SQL.approvalFailure, { id });
      return (await get(id))?.failures ?? 0;
    },

    async issueChallenge(challenge, purpose, expiresAt) {
      await db.run(SQL.challengeInsert, { challenge, purpose, expiresAt });
    },
    takeChallenge: async (challenge, purpose, now) =>
      (await db.run(SQL.challengeTake, { challenge, purpose, now: now.getTime() })) === 1,
    async prune(now) {
      for (const sql of SQL.prune)
        await db.run(sql, { now: now.getTime(), before: now.getTime() - APPROVAL_RETENTION_MS });
    },
  };
}
