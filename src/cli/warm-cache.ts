// The warm-start cache: the real server's answers to the listing requests, kept from one stdio start
// to the next so the front (stdio-front.ts) can answer them before the SDK and zod load. Node
// built-ins only. One file per build + argv + SPACEPAY_* environment, named by an HMAC keyed with the
// state key, so neither its name nor its place reveals a configured secret; its contents are what is
// fixed for a build and configuration (the server's identity, instructions, tool, prompt and template
// lists), which holds none. It is read with the state directory's checks, since whoever could replace
// it would choose the instructions and tool descriptions a client is shown. Any failure here means
// "no cache": behave as before.
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { log } from "../log.js";
import { checkPrivateDir, readPrivateFile } from "../safety/private-files.js";
import { defaultStateDir, effectiveStateDir } from "../state-dir.js";

/**
 * Requests whose answer is fixed for a build and configuration. Never resources/list: it lists recent
 * payments and withdrawals, their ids and statuses, which change between starts.
 */
export const CACHEABLE = new Set([
  "initialize",
  "server/discover",
  "tools/list",
  "prompts/list",
  "resources/templates/list",
]);

const VERSION = 1;
/** Bounds: answers per file (one set per client kind), files per directory (one per configuration). */
const MAX_ENTRIES = 32;
const MAX_FILES = 8;
/** A file larger than this is not one we wrote (one client's four answers take ~21 kB, so 32 ~170 kB). */
const MAX_BYTES = 1024 * 1024;

/** A JSON-RPC response as the SDK sent it; its `id` is replaced by the asking request's. */
export type Answer = Record<string, unknown>;

export interface CachePlace {
  /** `<state dir>/warm-start`. */
  dir: string;
  /** The state directory the key file is in (or would be generated in). */
  stateDir: string;
  /** The identity of this build and configuration, before it is keyed (never written anywhere). */
  identity: string;
}

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === "";

/**
 * Where this start's cache is, or null when the front cannot be sure it finds what src/config/ would
 * find (a --state-dir flag, a database URL) or the build has no identity (running from src/).
 */
export function locateCache(
  argv: readonly string[],
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
): CachePlace | null {
  try {
    if ("state-dir" in flags) return null;
    if (!blank(env.SPACEPAY_DATABASE_URL) || !blank(env.SPACEPAY_DATABASE_URL_FILE)) return null;
    const build = fs.readFileSync(new URL("./build-id", import.meta.url), "utf8").trim();
    if (!build) return null;
    const configured = env.SPACEPAY_STATE_DIR;
    // As src/config/: blank is unset, and a relative path is resolved once, against the working directory.
    const base = blank(configured)
      ? defaultStateDir({ env, platform: process.platform, homedir: homedir() })
      : path.resolve(configured.trim());
    const demo = blank(env.SPACEPAY_SECRET_KEY) && blank(env.SPACEPAY_SECRET_KEY_FILE);
    const stateDir = effectiveStateDir({ mode: demo ? "demo" : "test", stateDir: base });
    // Every SPACEPAY_* variable decides something (tools offered, mode, instructions); a *_FILE
    // variable's file contents too (a key file switched from test to live changes the mode).
    const vars = Object.keys(env)
      .filter((k) => k.startsWith("SPACEPAY_") && !blank(env[k]))
      .sort()
      .map((k) => [k, env[k], k.endsWith("_FILE") ? fs.readFileSync(env[k]!.trim(), "utf8") : null]);
    const identity = JSON.stringify({ v: VERSION, build, argv, vars });
    return { dir: path.join(stateDir, "warm-start"), stateDir, identity };
  } catch {
    return null;
  }
}

/**
 * The state key material, as text: SPACEPAY_STATE_KEY, the file SPACEPAY_STATE_KEY_FILE names, or the
 * state directory's generated state.key; null when there is none yet (or both variables are set,
 * which src/config/ refuses).
 */
export function stateKeyText(place: CachePlace, env: Record<string, string | undefined>): string | null {
  try {
    if (!blank(env.SPACEPAY_STATE_KEY) && !blank(env.SPACEPAY_STATE_KEY_FILE)) return null;
    // The generated state.key as state-key.ts reads it: no symlink, no FIFO, ours.
    const text = !blank(env.SPACEPAY_STATE_KEY)
      ? env.SPACEPAY_STATE_KEY
      : blank(env.SPACEPAY_STATE_KEY_FILE)
        ? readPrivateFile(path.join(place.stateDir, "state.key"))?.toString("utf8")
        : fs.readFileSync(env.SPACEPAY_STATE_KEY_FILE.trim(), "utf8");
    return text?.trim() || null;
  } catch {
    return null;
  }
}

/** The cache file for this build and configuration. */
export function cacheFile(place: CachePlace, keyText: string): string {
  const name = createHmac("sha256", keyText).update(place.identity).digest("hex");
  return path.join(place.dir, `${name}.json`);
}

/**
 * The directories a cache file is trusted in: the state directory and its warm-start/, each ours and
 * writable by nobody else (the state directory's own rule, private-files.ts). Throws otherwise.
 */
function checkCacheDirs(file: string): void {
  const dir = path.dirname(file);
  checkPrivateDir(path.dirname(dir));
  checkPrivateDir(dir);
}

/**
 * The cached answers by request key; empty when the file is missing, unreadable or not ours. A file
 * that fails a check (a directory or file others can write, not ours, a symlink, a FIFO or device,
 * too large) is ignored with a warning: the start is an ordinary one.
 */
export function readAnswers(file: string): Map<string, Answer> {
  let bytes: Buffer | undefined;
  try {
    checkCacheDirs(file);
    bytes = readPrivateFile(file, { maxBytes: MAX_BYTES, notWritableByOthers: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      log("warn", `warm start: cache not used, an ordinary start: ${(err as Error).message}`);
    return new Map();
  }
  if (!bytes) return new Map();
  try {
    const data = JSON.parse(bytes.toString("utf8")) as { v?: unknown; answers?: unknown };
    if (data.v !== VERSION || !Array.isArray(data.answers)) return new Map();
    const answers = new Map<string, Answer>();
    for (const pair of data.answers as unknown[]) {
      if (!Array.isArray(pair) || typeof pair[0] !== "string") continue;
      const answer: unknown = pair[1];
      if (typeof answer === "object" && answer !== null && "result" in answer)
        answers.set(pair[0], answer as Answer);
    }
    return answers;
  } catch {
    return new Map();
  }
}

/**
 * Writes the answers atomically (a private temp file renamed over the old one), keeping the newest
 * MAX_ENTRIES, then removes the least recently written files beyond MAX_FILES. Throws on failure;
 * the caller logs and carries on.
 */
export function writeAnswers(file: string, answers: Map<string, Answer>): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Where the next start would not trust it, a file is not worth writing.
  checkCacheDirs(file);
  const kept = [...answers].slice(-MAX_ENTRIES);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0), 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ v: VERSION, answers: kept }));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of files.slice(MAX_FILES)) fs.rmSync(path.join(dir, f), { force: true });
  // A temp file a killed process left behind (a live writer renames its own within milliseconds).
  for (const f of fs.readdirSync(dir).filter((name) => name.endsWith(".tmp"))) {
    const at = path.join(dir, f);
    if (Date.now() - fs.statSync(at).mtimeMs > 60_000) fs.rmSync(at, { force: true });
  }
}

/**
 * What identifies a request's answer: its method and params (the 2026-07-28 envelope included), and on
 * 2025 the session's initialize params, whose client capabilities change tools/list (MCP Apps `_meta`).
 */
export function requestKey(method: string, params: unknown, initParams: unknown): string {
  return JSON.stringify([method, params ?? null, method === "initialize" ? null : (initParams ?? null)]);
}
