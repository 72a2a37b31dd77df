// The append-only audit log of money-moving attempts (SPACEPAY_STATE_DIR/audit.jsonl): one JSON line
// per event, fsynced before the guard moves on, with every registered secret masked.
import fs from "node:fs";
import path from "node:path";
import { redact } from "../log.js";

export const AUDIT_FILE = "audit.jsonl";

export type AuditOutcome =
  "done" | "refused" | "failed" | "declined" | "cancelled" | "confirmation_required" | "confirmation_failed";

export type ConfirmedBy = "elicitation" | "token" | "off";

export interface AuditEntry {
  /** ISO 8601. */
  time: string;
  /** "intent" is written before the API call, "outcome" after it (or instead of it). */
  event: "intent" | "outcome";
  tool: string;
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
  /** First characters of the token's hash: ties a confirmation_required line to its use, without the token. */
  tokenId?: string;
}

export interface AuditLog {
  readonly file: string;
  /** Appends one line and fsyncs it before returning. */
  append(entry: AuditEntry): void;
  /** The last `n` entries, oldest first; torn or unreadable lines are skipped. */
  readRecent(n: number): AuditEntry[];
  close(): void;
}

export function openAuditLog(dir: string): AuditLog {
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, AUDIT_FILE);
  const created = !fs.existsSync(file);
  // O_APPEND: every process sharing the directory writes whole lines at the end, never over each other.
  const fd = fs.openSync(file, "a", 0o600);
  fs.fchmodSync(fd, 0o600);
  if (created) fsyncDir(dir);
  let closed = false;

  return {
    file,
    append(entry) {
      if (closed) throw new Error("audit log is closed");
      // Redact the serialised line, not the object: a secret can hide in any field or nested value.
      const line = redact(JSON.stringify(entry)) + "\n";
      fs.writeSync(fd, line);
      fs.fsyncSync(fd);
    },
    readRecent: (n) => readRecent(file, n),
    close() {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}

/** Makes the new file's directory entry durable too, so a crash cannot lose the whole log. */
function fsyncDir(dir: string): void {
  try {
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the per-line fsync still holds.
  }
}

const CHUNK = 64 * 1024;

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
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A line torn by a crash mid-write; the rest of the log is still good.
      }
    }
    return entries.slice(-n);
  } finally {
    fs.closeSync(fd);
  }
}
