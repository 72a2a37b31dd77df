// The audit hash chain, as pure functions any backend reuses: each entry's `prev` is the hash of the
// previous line's exact bytes (or of a fixed genesis value for the first line), so editing, deleting,
// inserting or reordering a line breaks the link of the line after it.
import { createHash } from "node:crypto";

/** SHA-256, hex, of a line's exact bytes (without its newline). */
export function chainHash(line: string | Uint8Array): string {
  return createHash("sha256").update(line).digest("hex");
}

/** What the first line of a log chains to. */
export const GENESIS_HASH = chainHash("spacepay-mcp audit chain v1");

/**
 * Where one entry sits in a trail: its 1-based position (the line number in audit.jsonl, the row's
 * `seq` in PostgreSQL) and the hash of its exact bytes. A trail's head is the mark of its last entry
 * (`0:` and the genesis hash when empty); since each entry carries the hash of the one before it, a
 * mark vouches for the whole trail up to it.
 */
export interface AuditMark {
  seq: number;
  hash: string;
}

/** `SEQ:HASH`, as `audit verify` prints a head and `--expect-head` takes it. */
export function formatMark(mark: AuditMark): string {
  return `${mark.seq}:${mark.hash}`;
}

export function parseMark(text: string): AuditMark | null {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2]! } : null;
}

/** The `prev` a line appended after `previous` carries (null: the log is empty). */
export function nextPrev(previous: string | Uint8Array | null): string {
  return previous === null ? GENESIS_HASH : chainHash(previous);
}

export type ChainVerdict =
  | {
      ok: true;
      /** Chained entries verified. */
      count: number;
      /** 1-based line where the chain starts; later lines than 1 mean older, unchained lines before it. */
      chainStart: number | null;
      /** Lines that are not JSON entries (a write torn by a crash); the line after each vouches for it. */
      unreadable: number[];
      /** The last line's mark: record it elsewhere to detect later truncation or rewriting of the end. */
      head: AuditMark;
    }
  | { ok: false; line: number; reason: string };

function prevOf(line: string | Uint8Array): { entry: false } | { entry: true; prev: string | null } {
  let value: unknown;
  try {
    value = JSON.parse(typeof line === "string" ? line : Buffer.from(line).toString("utf8"));
  } catch {
    return { entry: false };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { entry: false };
  const prev = (value as { prev?: unknown }).prev;
  return { entry: true, prev: typeof prev === "string" ? prev : null };
}

/**
 * Checks the chain over `lines` (the log split on newlines, the final empty piece dropped). Lines
 * before the first one carrying `prev` were written by an older version and are reported, not
 * checked; after it, every entry must carry `prev` and match the line before it.
 */
export function verifyChain(lines: readonly (string | Uint8Array)[]): ChainVerdict {
  let chainStart: number | null = null;
  let count = 0;
  const unreadable: number[] = [];
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    const parsed = prevOf(line);
    if (!parsed.entry) {
      // Its own link cannot be checked, but the next line's prev covers its exact bytes.
      unreadable.push(n);
      continue;
    }
    if (parsed.prev === null) {
      if (chainStart === null) continue;
      return {
        ok: false,
        line: n,
        reason: `line ${n} carries no prev hash although the chain started at line ${chainStart}: it was inserted, or edited`,
      };
    }
    chainStart ??= n;
    const expected = nextPrev(i === 0 ? null : lines[i - 1]!);
    if (parsed.prev !== expected) {
      return {
        ok: false,
        line: n,
        reason:
          i === 0
            ? "line 1 does not start the chain (its prev is not the genesis hash): lines were deleted from the start"
            : `line ${n} does not follow line ${n - 1}: line ${n - 1} was edited, or lines were deleted, inserted or reordered there`,
      };
    }
    count++;
  }
  return { ok: true, count, chainStart, unreadable, head: headOf(lines) };
}

/** The mark of a trail's last line. */
export function headOf(lines: readonly (string | Uint8Array)[]): AuditMark {
  const last = lines.at(-1);
  return { seq: lines.length, hash: last === undefined ? GENESIS_HASH : chainHash(last) };
}

/** Splits a log's bytes into lines: exact bytes, so a line torn mid-character hashes as written. */
export function splitLines(content: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = content.indexOf(0x0a); i !== -1; i = content.indexOf(0x0a, start)) {
    lines.push(content.subarray(start, i));
    start = i + 1;
  }
  if (start < content.length) lines.push(content.subarray(start));
  return lines;
}
