// What the approval pages' entry point (serve.ts, loaded at startup) and their routes (routes.ts,
// loaded on the first page request) share, apart so neither imports the other.
import type { PendingApproval } from "../safety/approvals.js";

export const APPROVALS_PREFIX = "/approvals/";

/** What the pages tell the process serving them. */
export interface ApprovalHooks {
  /** A passkey was registered through a link (the `approvers add` command exits on it). */
  onEnrolled?: (approver: string) => void;
  /** An approval changed (approved or declined), so a call waiting on it in this process wakes. */
  onDecided?: (approval: PendingApproval) => void;
}
