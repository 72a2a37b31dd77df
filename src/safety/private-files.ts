// The state directory and the files in it are trusted only once checked: the directory is ours and
// private, and a state file is a regular file we own, opened without following symlinks.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The state directory or a file in it cannot be trusted; money tools refuse until it is fixed. */
export class StateDirError extends Error {
  override name = "StateDirError";
}

const uid = (): number | null => (typeof process.getuid === "function" ? process.getuid() : null);

/**
 * Creates `dir` 0700 when missing, then refuses it unless it is a directory owned by this user that
 * neither group nor others can write: whoever can write there can swap the ledger or the audit log.
 * POSIX only (Windows has no uid or mode bits to check).
 */
export function ensurePrivateDir(dir: string): void {
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}

/** ensurePrivateDir's checks on an existing `dir`, creating nothing (a missing one throws ENOENT). */
export function checkPrivateDir(dir: string): void {
  const st = fs.statSync(dir);
  const fix = `Fix: \`chmod 700 ${dir}\` (and own it as this user), or set SPACEPAY_STATE_DIR to a private directory.`;
  if (!st.isDirectory()) {
    throw new StateDirError(
      `State directory ${dir} is not a directory. Fix: move that file away, or set SPACEPAY_STATE_DIR to a directory.`,
    );
  }
  const me = uid();
  if (me === null) return;
  if (st.uid !== me) {
    throw new StateDirError(
      `State directory ${dir} is owned by uid ${st.uid}, not this user (uid ${me}). ${fix}`,
    );
  }
  const writers = othersWrite(st);
  if (writers) throw new StateDirError(`State directory ${dir} is writable by ${writers}. ${fix}`);
}

/** Who besides the owner can write `st` ("its group (mode 664)"), or null. */
function othersWrite(st: fs.Stats): string | null {
  if (!(st.mode & 0o022)) return null;
  const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
  return `${st.mode & 0o002 ? "everyone" : "its group"} (mode ${mode})`;
}

/**
 * Refuses an existing `file` that is a symlink, not a regular file, or owned by someone else; with
 * `notWritableByOthers`, also one its group or others can write (for a file nothing else vouches for).
 */
export function checkStateFile(file: string, st?: fs.Stats, notWritableByOthers = false): void {
  let stats = st;
  if (!stats) {
    try {
      stats = fs.lstatSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
  }
  const fix = `Fix: move it away (it is not ours to trust) and start again, or set SPACEPAY_STATE_DIR to a private directory.`;
  if (stats.isSymbolicLink()) throw new StateDirError(`State file ${file} is a symbolic link. ${fix}`);
  if (!stats.isFile()) throw new StateDirError(`State file ${file} is not a regular file. ${fix}`);
  const me = uid();
  if (me !== null && stats.uid !== me) {
    throw new StateDirError(
      `State file ${file} is owned by uid ${stats.uid}, not this user (uid ${me}). ${fix}`,
    );
  }
  const writers = me !== null && notWritableByOthers ? othersWrite(stats) : null;
  if (writers) throw new StateDirError(`State file ${file} is writable by ${writers}. ${fix}`);
}

/**
 * Opens `file` for appending without following a symlink, creating it 0600 when missing. A file we
 * did not create is checked (regular, ours) and its mode left as found.
 */
export function openPrivateAppend(file: string): { fd: number; created: boolean } {
  const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const nofollow = O_NOFOLLOW ?? 0;
  let fd: number;
  let created = true;
  try {
    // O_APPEND: every process sharing the directory writes whole lines at the end, never over each other.
    fd = fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | nofollow, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") throw err;
    created = false;
    try {
      fd = fs.openSync(file, O_WRONLY | O_APPEND | nofollow);
    } catch (err2) {
      // ELOOP is how O_NOFOLLOW reports a symlink.
      if ((err2 as NodeJS.ErrnoException).code === "ELOOP") checkStateFile(file);
      throw err2;
    }
  }
  try {
    checkStateFile(file, fs.fstatSync(fd));
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return { fd, created };
}

/** Makes a new file's directory entry durable too, so a crash cannot lose the whole file. */
export function fsyncDir(dir: string): void {
  try {
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the per-write fsync still holds.
  }
}

export interface ReadChecks {
  /** Refuse a file longer than this many bytes. */
  maxBytes?: number;
  /** Refuse a file its group or others can write (checkStateFile). */
  notWritableByOthers?: boolean;
}

/**
 * Reads a private state file without following a symlink; undefined when it does not exist. Opened
 * without blocking, so a FIFO or a device in its place is refused at once rather than read from.
 */
export function readPrivateFile(file: string, checks: ReadChecks = {}): Buffer | undefined {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") checkStateFile(file);
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    checkStateFile(file, st, checks.notWritableByOthers);
    if (checks.maxBytes !== undefined && st.size > checks.maxBytes) {
      throw new StateDirError(
        `State file ${file} is ${st.size} bytes, more than the ${checks.maxBytes} it may hold. Fix: move it away and start again.`,
      );
    }
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `file` (0600) holding `content` unless it exists, and returns what the file holds then. The
 * content is written and fsynced under a temporary name and linked into place, which fails when the
 * name is taken: processes racing on a first start all end up reading the one file that won, never a
 * half-written one.
 */
export function createPrivateFileOnce(file: string, content: Buffer): Buffer {
  const existing = readPrivateFile(file);
  if (existing) return existing;
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0), 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
    fsyncDir(path.dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
  const winner = readPrivateFile(file);
  if (!winner) throw new StateDirError(`State file ${file} vanished right after it was created.`);
  return winner;
}
