// What `spacepay-mcp audit verify` decides, for either backend: the chain holds, every ledger entry's
// audit entries are in the trail where the ledger says (so a truncated, deleted or rewritten trail is
// found even when what is left still chains), and an anchored earlier head is still a prefix.
import {
  chainHash,
  GENESIS_HASH,
  headOf,
  verifyChain,
  type AuditMark,
  type ChainVerdict,
} from "./audit-chain.js";
import type { LedgerEntry, LedgerStatus } from "./ledger.js";

export interface TrailReport {
  chain: ChainVerdict;
  head: AuditMark;
  /** Ledger entries compared with the trail. */
  ledgerChecked: number;
  /** One line per ledger entry whose audit entries are not in the trail as the ledger recorded them. */
  missing: string[];
  /** Why the expected head is not a prefix of the trail; null when it is, or none was given. */
  headProblem: string | null;
  ok: boolean;
}

/** Statuses whose withdrawal was sent, so an intent was written first. */
const SENT: readonly LedgerStatus[] = ["sent", "done", "failed"];
/** Statuses the guard (or reconciliation) settled by writing an outcome. */
const SETTLED: readonly LedgerStatus[] = ["done", "failed"];

/**
 * `lines`: the trail in order (a line's position is its sequence number); `ledger`: null when there
 * is none to compare with; `expectHead`: a head recorded earlier, outside the trail.
 */
export function verifyTrail(
  lines: readonly (string | Uint8Array)[],
  ledger: readonly LedgerEntry[] | null,
  expectHead: AuditMark | null = null,
): TrailReport {
  const chain = verifyChain(lines);
  const byKey = ledger?.length ? indexByKey(lines) : null;
  const missing = byKey ? ledger!.flatMap((e) => missingFor(e, lines, byKey)) : [];
  const headProblem = expectHead ? prefixProblem(lines, expectHead) : null;
  return {
    chain,
    head: headOf(lines),
    ledgerChecked: ledger?.length ?? 0,
    missing,
    headProblem,
    ok: chain.ok && !missing.length && !headProblem,
  };
}

interface KeyEvents {
  intents: number[];
  outcomes: number[];
}

/** Sequence numbers of each idempotency key's intents and outcomes. */
function indexByKey(lines: readonly (string | Uint8Array)[]): Map<string, KeyEvents> {
  const byKey = new Map<string, KeyEvents>();
  lines.forEach((line, i) => {
    let entry: { event?: unknown; idempotencyKey?: unknown };
    try {
      entry = JSON.parse(
        typeof line === "string" ? line : Buffer.from(line).toString("utf8"),
      ) as typeof entry;
    } catch {
      return;
    }
    if (typeof entry?.idempotencyKey !== "string") return;
    const events = byKey.get(entry.idempotencyKey) ?? { intents: [], outcomes: [] };
    (entry.event === "intent" ? events.intents : events.outcomes).push(i + 1);
    byKey.set(entry.idempotencyKey, events);
  });
  return byKey;
}

function missingFor(
  e: LedgerEntry,
  lines: readonly (string | Uint8Array)[],
  byKey: Map<string, KeyEvents>,
): string[] {
  const label =
    `ledger entry ${e.id} (${e.status}, ${e.amountCents} cents, idempotency key ${e.idempotencyKey}` +
    `${e.withdrawalId ? `, withdrawal ${e.withdrawalId}` : ""})`;
  const events = byKey.get(e.idempotencyKey) ?? { intents: [], outcomes: [] };
  const out: string[] = [];
  let intentAt = 0;
  if (e.intent) {
    const { seq, hash } = e.intent;
    if (seq > lines.length) {
      out.push(`${label}: its intent, entry ${seq}, is missing: the trail ends at entry ${lines.length}`);
    } else if (chainHash(lines[seq - 1]!) !== hash) {
      out.push(`${label}: entry ${seq} is not its intent (another hash): the trail was rewritten there`);
    }
    intentAt = seq;
  } else if (SENT.includes(e.status)) {
    // Written before ledger entries named their intent: found by its idempotency key instead.
    if (!events.intents.length) out.push(`${label}: no intent with its idempotency key is in the trail`);
    intentAt = events.intents[0] ?? 0;
  }
  if (SETTLED.includes(e.status) && !events.outcomes.some((seq) => seq > intentAt)) {
    out.push(`${label}: its outcome is missing from the trail`);
  }
  return out;
}

function prefixProblem(lines: readonly (string | Uint8Array)[], expect: AuditMark): string | null {
  if (expect.seq === 0) {
    return expect.hash === GENESIS_HASH ? null : "the expected head 0:… is not the empty trail's (0:genesis)";
  }
  if (expect.seq > lines.length) {
    return `the trail has ${lines.length} entries, fewer than the expected head's ${expect.seq}: it was truncated`;
  }
  return chainHash(lines[expect.seq - 1]!) === expect.hash
    ? null
    : `entry ${expect.seq} no longer has the expected head's hash: the trail was rewritten at or before it`;
}
