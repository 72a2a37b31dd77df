// Startup reconciliation: a withdrawal the ledger left "sent" with no recorded outcome (a crash, a
// full disk) is settled by asking SpacePay what became of it, and an outcome line is appended.
import { log } from "../log.js";
import { NotFoundError } from "../spacepay/errors.js";
import type { SpacePayApi, Withdrawal } from "../spacepay/types.js";
import type { LedgerEntry } from "./ledger.js";
import type { StateStore } from "./state.js";

export type ReconcileApi = Pick<SpacePayApi, "getWithdrawal" | "listWithdrawals">;

export interface ReconcileDeps {
  /** The ledger to settle and the audit trail to append to, on either backend. */
  store: StateStore;
  api: ReconcileApi;
  /**
   * How long a call can still be in flight (request timeout × attempts, plus backoff): a younger
   * "sent" entry may belong to a live call in this or another process, so it is left alone.
   */
  inFlightMs: number;
  now?: () => Date;
  /** Ends the requests still to come or waiting (the runtime closing); what is settled stays settled. */
  signal?: AbortSignal;
}

export interface ReconcileReport {
  done: number;
  failed: number;
  /** SpacePay has no matching withdrawal: the entry stays "sent" and keeps counting (see below). */
  unknown: number;
}

/** Clock difference tolerated between this machine and SpacePay when matching on time. */
const SKEW_MS = 5 * 60_000;
const PAGE = 100;
const MAX_PAGES = 20;

/**
 * Settles stale "sent" entries. The withdrawal is found by id when the ledger has one, otherwise by
 * amount, recipient and chain among SpacePay's withdrawals created between the reservation and the
 * end of the call (± clock skew), skipping ones the ledger already ties to another entry.
 *
 * The rule for an entry SpacePay does not know: it stays "sent", so it keeps counting against the
 * rolling cap until it leaves the window, and its key and confirmation stay resumable. A missing
 * match does not prove the request was never processed (a listing can lag, or the answer was lost
 * before SpacePay recorded it), and counting it is the side that cannot pay twice. Nothing is
 * appended for it; it is looked at again at the next start.
 */
export async function reconcileLedger(deps: ReconcileDeps): Promise<ReconcileReport> {
  const { store, api } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const report: ReconcileReport = { done: 0, failed: 0, unknown: 0 };
  const stale = await store.ledger.listSent(new Date(now.getTime() - deps.inFlightMs));
  if (!stale.length) return report;

  const earliest = Math.min(...stale.map((e) => e.createdAt)) - SKEW_MS;
  let recent: Withdrawal[] | null = null;
  const { signal } = deps;
  const listRecent = async () => (recent ??= await listSince(api, earliest, signal));

  for (const entry of stale) {
    let found: Withdrawal | undefined;
    if (entry.withdrawalId) {
      try {
        found = (await api.getWithdrawal(entry.withdrawalId, { signal })).data;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    } else {
      const lo = entry.createdAt - SKEW_MS;
      const hi = entry.updatedAt + deps.inFlightMs + SKEW_MS;
      for (const w of await listRecent()) {
        const at = Date.parse(w.createdAt);
        const matches =
          w.amountInCents === entry.amountCents &&
          w.chainId === entry.chainId &&
          w.recipientAddress.toLowerCase() === entry.recipient?.toLowerCase() &&
          at >= lo &&
          at <= hi;
        if (matches && !(await store.ledger.findByWithdrawalId(w.id))) {
          found = w;
          break;
        }
      }
    }
    if (!found) {
      report.unknown++;
      log(
        "warn",
        `withdrawal ledger entry left "sent" is unknown to SpacePay; it keeps counting against the cap`,
        {
          idempotencyKey: entry.idempotencyKey,
          amountInCents: entry.amountCents,
        },
      );
      continue;
    }
    const failed = found.status === "failed" || found.status === "cancelled";
    if (failed) await store.ledger.markFailed(entry.id, now);
    else await store.ledger.markDone(entry.id, found.id, now);
    report[failed ? "failed" : "done"]++;
    await store.audit.append(outcomeLine(entry, found, failed, now));
  }
  return report;
}

function outcomeLine(entry: LedgerEntry, found: Withdrawal, failed: boolean, now: Date) {
  return {
    time: now.toISOString(),
    event: "outcome" as const,
    tool: "create_withdrawal",
    args: {
      summary: {
        action: "create_withdrawal",
        amountInCents: entry.amountCents,
        currency: "USD",
        chainId: entry.chainId,
        recipientAddress: entry.recipient,
      },
    },
    confirmation: null,
    idempotencyKey: entry.idempotencyKey,
    outcome: failed ? ("failed" as const) : ("done" as const),
    ids: { withdrawalId: found.id },
    reconciled: true,
    ...(failed ? { error: { class: "WithdrawalFailed", message: `SpacePay status ${found.status}` } } : {}),
  };
}

/** SpacePay's withdrawals (newest first) back to `sinceMs`, within a bounded number of pages. */
async function listSince(
  api: ReconcileApi,
  sinceMs: number,
  signal: AbortSignal | undefined,
): Promise<Withdrawal[]> {
  const out: Withdrawal[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data } = await api.listWithdrawals({ limit: PAGE, offset: page * PAGE }, { signal });
    out.push(...data.data);
    const last = data.data.at(-1);
    if (!data.pagination.hasMore || !last || Date.parse(last.createdAt) < sinceMs) break;
  }
  return out;
}
