// The passkey approvals' tables and statements: one schema and one set of named-parameter statements
// for SQLite and PostgreSQL. Each decision is one conditional statement, so two processes or
// instances racing on the same row cannot both win it; approvals.ts gives them meaning.
/** The schema, the same text for both backends (each applies it as one migration). */
export const APPROVALS_SCHEMA = `
  CREATE TABLE approvers (
    name         TEXT PRIMARY KEY,
    -- The OAuth subject this person calls as, if any: they cannot approve their own withdrawals.
    subject      TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
  );
  CREATE TABLE approver_passkeys (
    credential_id TEXT PRIMARY KEY,
    approver      TEXT NOT NULL REFERENCES approvers (name) ON DELETE CASCADE,
    -- The COSE public key, base64url: public, yet only ever used to verify.
    public_key    TEXT NOT NULL,
    counter       BIGINT NOT NULL,
    transports    TEXT,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
  );
  CREATE TABLE approver_enrollments (
    -- SHA-256 of the link's id: the link registers a passkey, so it is stored like a token.
    id_hash    TEXT PRIMARY KEY,
    approver   TEXT NOT NULL,
    subject    TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'done'))
  );
  CREATE TABLE pending_approvals (
    -- Public (it is in the page's URL); only a passkey approves.
    id              TEXT PRIMARY KEY,
    -- Digest of tool, canonical arguments, caller and mode: identical repeats share one approval.
    identity        TEXT NOT NULL UNIQUE,
    tool            TEXT NOT NULL,
    caller          TEXT,
    mode            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    summary         TEXT NOT NULL,
    needed          INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'claimed', 'done')),
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
  );
  CREATE TABLE approval_votes (
    approval_id   TEXT NOT NULL,
    approver      TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (approval_id, approver)
  );
  CREATE TABLE webauthn_challenges (
    challenge  TEXT PRIMARY KEY,
    -- What it may be used for: "enroll:<link hash>" or "approve:<approval id>:<action digest>".
    purpose    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );`;

/** The statements, named-parameter SQL both backends run as written. */
export const APPROVAL_SQL = {
  approverInsert: `INSERT INTO approvers (name, subject, created_at) VALUES (@name, @subject, @now)
                   ON CONFLICT (name) DO NOTHING`,
  approverByName: "SELECT * FROM approvers WHERE name = @name",
  approverList: `SELECT a.name, a.subject, a.created_at, a.last_used_at,
                   (SELECT COUNT(*) FROM approver_passkeys p WHERE p.approver = a.name) AS passkeys
                 FROM approvers a ORDER BY a.name`,
  approverDelete: "DELETE FROM approvers WHERE name = @name",
  // A removed approver's votes on undecided approvals no longer count.
  votesOfRemoved: `DELETE FROM approval_votes WHERE approver = @name
                   AND approval_id IN (SELECT id FROM pending_approvals WHERE state = 'pending')`,
  approverUsed: "UPDATE approvers SET last_used_at = @now WHERE name = @name",
  enrolledCount: "SELECT COUNT(DISTINCT approver) AS n FROM approver_passkeys",
  passkeyInsert: `INSERT INTO approver_passkeys (credential_id, approver, public_key, counter, transports, created_at)
                  VALUES (@credentialId, @approver, @publicKey, @counter, @transports, @now)`,
  passkeyById: "SELECT * FROM approver_passkeys WHERE credential_id = @credentialId",
  passkeysOf: "SELECT * FROM approver_passkeys WHERE approver = @approver",
  // Compare-and-set: of two assertions carrying the same counter, one moves it.
  passkeyCounter: `UPDATE approver_passkeys SET counter = @next, last_used_at = @now
                   WHERE credential_id = @credentialId AND counter = @previous`,
  enrollmentInsert: `INSERT INTO approver_enrollments (id_hash, approver, subject, created_at, expires_at, state)
                     VALUES (@idHash, @approver, @subject, @now, @expiresAt, 'open')`,
  enrollmentById: "SELECT * FROM approver_enrollments WHERE id_hash = @idHash",
  enrollmentClose: `UPDATE approver_enrollments SET state = 'done'
                    WHERE id_hash = @idHash AND state = 'open' AND expires_at > @now`,
  approvalDropExpired: `DELETE FROM pending_approvals
                        WHERE identity = @identity AND state IN ('pending', 'approved') AND expires_at <= @now`,
  approvalInsert: `INSERT INTO pending_approvals
                     (id, identity, tool, caller, mode, idempotency_key, summary, needed, state, created_at, expires_at, updated_at)
                   VALUES (@id, @identity, @tool, @caller, @mode, @idempotencyKey, @summary, @needed, 'pending', @now, @expiresAt, @now)
                   ON CONFLICT (identity) DO NOTHING`,
  approvalByIdentity: "SELECT * FROM pending_approvals WHERE identity = @identity",
  approvalById: "SELECT * FROM pending_approvals WHERE id = @id",
  votesOf: "SELECT approver FROM approval_votes WHERE approval_id = @id ORDER BY created_at, approver",
  // A vote counts only on an undecided, unexpired approval.
  voteInsert: `INSERT INTO approval_votes (approval_id, approver, credential_id, created_at)
               SELECT @id, @approver, @credentialId, @now
               WHERE EXISTS (SELECT 1 FROM pending_approvals WHERE id = @id AND state = 'pending' AND expires_at > @now)
               ON CONFLICT (approval_id, approver) DO NOTHING`,
  approvalApprove: `UPDATE pending_approvals SET state = 'approved', updated_at = @now
                    WHERE id = @id AND state = 'pending' AND expires_at > @now
                      AND needed <= (SELECT COUNT(*) FROM approval_votes WHERE approval_id = @id)`,
  approvalDecline: `UPDATE pending_approvals SET state = 'declined', updated_at = @now
                    WHERE id = @id AND state = 'pending' AND expires_at > @now`,
  approvalClaim: `UPDATE pending_approvals SET state = 'claimed', updated_at = @now
                  WHERE id = @id AND state = 'approved' AND expires_at > @now`,
  approvalSet:
    "UPDATE pending_approvals SET state = @state, updated_at = @now WHERE id = @id AND state = @from",
  approvalFailure: "UPDATE pending_approvals SET failures = failures + 1 WHERE id = @id",
  challengeInsert:
    "INSERT INTO webauthn_challenges (challenge, purpose, expires_at) VALUES (@challenge, @purpose, @expiresAt)",
  // Taking a challenge deletes it: the first use wins, on any instance; a replay finds nothing.
  challengeTake:
    "DELETE FROM webauthn_challenges WHERE challenge = @challenge AND purpose = @purpose AND expires_at > @now",
  prune: [
    "DELETE FROM webauthn_challenges WHERE expires_at < @now",
    "DELETE FROM approver_enrollments WHERE expires_at < @before",
    "DELETE FROM approval_votes WHERE approval_id IN (SELECT id FROM pending_approvals WHERE expires_at < @before)",
    "DELETE FROM pending_approvals WHERE expires_at < @before",
  ],
} as const;
