// The append-only audit log of money-moving attempts (SPACEPAY_STATE_DIR/audit.jsonl): one JSON line
// per event, written whole and fsynced before the guard moves on, with every registered secret masked,
// each carrying the hash of the line before it (audit-chain.ts).
import fs from "node:fs";
import path from "node:path";
import { redact } from "../log.js";
import { chainHash, nextPrev, type AuditMark } from "./audit-chain.js";
import { ensurePrivateDir, fsyncDir, openPrivateAppend } from "./private-files.js";

export const AUDIT_FILE = "audit.jsonl";

export type AuditOutcome =
  "done" | "refused" | "failed" | "declined" | "cancelled" | "confirmation_required" | "confirmation_failed";

/**
 * How the user confirmed: elicitation, a token the model round-tripped, a click in an MCP App card, an
 * enrolled approver's passkey on the server's own page, or not at all.
 */
export type ConfirmedBy = "elicitation" | "input_required" | "token" | "app" | "passkey" | "off";

export interface AuditEntry {
  /** ISO 8601. */
  time: string;
  /** "intent" is written before the API call, "outcome" after it (or instead of it). */
  event: "intent" | "outcome";
  tool: string;
  /** Who called: the OAuth access token's subject (absent without OAuth, e.g. over stdio). */
  caller?: string;
  /** What the call asked for: the money summary and the arguments (never the confirmation token). */
  args: Record<string, unknown>;
  confirmation: ConfirmedBy | null;
  idempotencyKey: string | null;
  outcome?: AuditOutcome;
  /** The rule behind a refusal. */
  rule?: string;
  error?: { class: string; message: string };
  /** For failures: true when the request may have reached the API (the ledger keeps counting it). */
  ambiguous?: boolean;
  /** Ids of what was created, e.g. paymentId or withdrawalId. */
  ids?: Record<string, string>;
  requestId?: string | null;
  replayed?: boolean;
  /** Settled at startup by asking SpacePay, for a withdrawal whose outcome was never recorded. */
  reconciled?: boolean;
  /** The approvers whose passkeys approved the call (SPACEPAY_APPROVAL=passkey), in order. */
  approvers?: string[];
  /** Wrong confirmations presented by this caller in the current window (guesses.ts), on the lines that count them. */
  failures?: number;
  /** First characters of the token's hash: ties a confirmation_required line to its use, without the token. */
  tokenId?: string;
  /** Hash of the previous line's exact bytes (audit-chain.ts); set by append, absent in older logs. */
  prev?: string;
}

/** An error as an audit entry records it: its class and message (already free of secrets). */
export function auditError(err: unknown): { class: string; message: string } {
  if (err instanceof Error) return { class: err.constructor?.name || err.name, message: err.message };
  return { class: typeof err, message: String(err) };
}

export interface AuditLog {
  readonly file: string;
  /** Appends one whole line and fsyncs it before returning its mark; throws when it could not. */
  append(entry: AuditEntry): AuditMark;
  /** The last `n` entries, oldest first, without their chain hash; torn or unreadable lines are skipped. */
  readRecent(n: number): AuditEntry[];
  close(): void;
}

/** The file calls append makes, injectable so tests can fail them (short writes, ENOSPC). */
export interface AuditFs {
  writeSync(fd: number, buffer: Buffer, offset: number, length: number): number;
  fsyncSync(fd: number): void;
}

/** One entry as stored, on either backend, chained to the line before it (`previous`: its exact
 * bytes, null for the first). Redacts the serialised text, not the object: a secret can hide in any
 * field or nested value. */
export function serializeAuditEntry(entry: AuditEntry, previous: Buffer | null): string {
  return redact(JSON.stringify({ ...entry, prev: nextPrev(previous) }));
}

/**
 * Runs `fn` holding a lock every process appending to the same log respects. The chain needs it:
 * reading the last line and appending the next must not interleave with another process's append.
 */
export type AuditLock = <T>(fn: () => T) => T;

/** Enough for one process alone (tests); the runtime passes the state store's lock. */
const processOnly: AuditLock = (fn) => fn();

export interface AuditLogOptions {
  io?: AuditFs;
  lock?: AuditLock;
}

export function openAuditLog(dir: string, opts: AuditLogOptions = {}): AuditLog {
  const io = opts.io ?? fs;
  const lock = opts.lock ?? processOnly;
  ensurePrivateDir(dir);
  const file = path.join(dir, AUDIT_FILE);
  const { fd, created } = openPrivateAppend(file);
  if (created) fsyncDir(dir);
  // A second descriptor on the same file (the append one is write-only), for reading the last line.
  let readFd: number;
  try {
    readFd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  let closed = false;
  // Lines counted so far (every line ends with a newline once the next append has ended a torn one),
  // and up to which byte: each append counts only what other processes added since, so an entry's
  // sequence number costs one read of the file per process, not one per append.
  let counted: { size: number; lines: number } | null = null;

  return {
    file,
    append(entry) {
      if (closed) throw new Error("audit log is closed");
      return lock(() => {
        const tail = lastLine(readFd);
        const line = serializeAuditEntry(entry, tail.line);
        // A line torn by a failed write (ours or another process's) is ended first, so it does not
        // swallow this one; the chain then runs through the fragment's exact bytes.
        const buf = Buffer.from(tail.complete ? line + "\n" : "\n" + line + "\n", "utf8");
        const size = fs.fstatSync(readFd).size;
        // A file that shrank was rewritten behind our back: count it afresh (audit verify will say so).
        const from = counted && counted.size <= size ? counted : { size: 0, lines: 0 };
        const before = from.lines + countNewlines(readFd, from.size, size);
        counted = null;
        let written = 0;
        // writeSync may write less than asked (a nearly full disk) without throwing.
        while (written < buf.length) {
          const n = io.writeSync(fd, buf, written, buf.length - written);
          if (n <= 0) throw Object.assign(new Error("audit log write made no progress"), { code: "EIO" });
          written += n;
        }
        io.fsyncSync(fd);
        const seq = before + (tail.complete ? 1 : 2);
        counted = { size: size + buf.length, lines: seq };
        return { seq, hash: chainHash(line) };
      });
    },
    readRecent: (n) => readRecent(file, n),
    close() {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
      fs.closeSync(readFd);
    },
  };
}

/** The log's last line (null when empty), and whether the file ends with a newline. */
function lastLine(fd: number): { line: Buffer | null; complete: boolean } {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return { line: null, complete: true };
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  const complete = last[0] === 0x0a;
  const end = complete ? size - 1 : size;
  const chunks: Buffer[] = [];
  let position = end;
  while (position > 0) {
    const len = Math.min(CHUNK, position);
    position -= len;
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, position);
    const nl = buf.lastIndexOf(0x0a);
    if (nl !== -1) {
      chunks.unshift(buf.subarray(nl + 1));
      break;
    }
    chunks.unshift(buf);
  }
  return { line: Buffer.concat(chunks), complete };
}

const CHUNK = 64 * 1024;

/** Newlines in the file's bytes from `start` to `end`. */
function countNewlines(fd: number, start: number, end: number): number {
  let n = 0;
  const buf = Buffer.alloc(Math.min(CHUNK, Math.max(end - start, 1)));
  for (let position = start; position < end;) {
    const len = fs.readSync(fd, buf, 0, Math.min(buf.length, end - position), position);
    if (len <= 0) break;
    for (let i = buf.indexOf(0x0a); i !== -1 && i < len; i = buf.indexOf(0x0a, i + 1)) n++;
    position += len;
  }
  return n;
}

/** Reads backwards from the end in chunks, so the cost follows `n`, not the size of the log. */
export function readRecent(file: string, n: number): AuditEntry[] {
  if (n <= 0) return [];
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  try {
    let position = fs.fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let newlines = 0;
    // n + 1 newlines guarantee n complete lines (the last line ends with one).
    while (position > 0 && newlines <= n) {
      const size = Math.min(CHUNK, position);
      position -= size;
      const buf = Buffer.alloc(size);
      fs.readSync(fd, buf, 0, size, position);
      chunks.unshift(buf);
      for (const byte of buf) if (byte === 0x0a) newlines++;
    }
    const lines = Buffer.concat(chunks).toString("utf8").split("\n");
    // Without reaching the start of the file, the first piece may be a partial line.
    if (position > 0) lines.shift();
    const entries: AuditEntry[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        // The chain hash is for `audit verify`, not for readers of recent entries.
        const { prev: _prev, ...rest } = JSON.parse(line) as AuditEntry;
        entries.push(rest);
      } catch {
        // A line torn by a crash mid-write; the rest of the log is still good.
      }
    }
    return entries.slice(-n);
  } finally {
    fs.closeSync(fd);
  }
}
