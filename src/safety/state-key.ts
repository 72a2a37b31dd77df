// The state key: 32 bytes that seal what the state directory keeps secret (payment secrets, sealed
// request state). It comes from SPACEPAY_STATE_KEY / SPACEPAY_STATE_KEY_FILE (parsed in src/config/
// with parseStateKey), or is generated once into the state directory and reused by every process
// sharing it.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { registerSecret } from "../log.js";
import { createPrivateFileOnce, ensurePrivateDir, StateDirError } from "./private-files.js";

export const STATE_KEY_BYTES = 32;
export const STATE_KEY_FILE = "state.key";
export const STATE_KEY_ACCEPTED = `${STATE_KEY_BYTES} bytes as base64 (44 characters) or hex (64 characters), e.g. from \`openssl rand -base64 32\``;

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]{43}={0,1}$/;

/** Decodes a configured key, or says which rule it breaks (never echoing it). */
export function parseStateKey(text: string): { ok: true; key: Buffer } | { ok: false; problem: string } {
  // Hex first: 64 hex digits are also valid base64 (of 48 bytes).
  if (HEX.test(text)) return { ok: true, key: Buffer.from(text, "hex") };
  if (BASE64.test(text)) {
    const key = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (key.length === STATE_KEY_BYTES) return { ok: true, key };
  }
  return { ok: false, problem: `is not ${STATE_KEY_BYTES} bytes of base64 or hex` };
}

/** Masks the key in every log line, in each form an operator may have pasted it. */
function registerKey(key: Buffer): Buffer {
  for (const text of [key.toString("base64"), key.toString("base64url"), key.toString("hex")]) {
    registerSecret(text);
  }
  return key;
}

export interface ResolveStateKeyOptions {
  /** The key from the configuration, when one was set. */
  configured: Buffer | null;
  /** The state directory, where a key is generated when none is configured. */
  dir: string;
  /**
   * When true, a configured key is mandatory. A database URL will set it (issue 15): then the key
   * must not live beside the data it protects, and every instance needs the same one.
   */
  required?: { because: string };
}

/** The key to seal with: the configured one, else the state directory's (created on first use). */
export function resolveStateKey(opts: ResolveStateKeyOptions): Buffer {
  if (opts.configured) return registerKey(opts.configured);
  if (opts.required) {
    throw new StateDirError(
      `SPACEPAY_STATE_KEY (or SPACEPAY_STATE_KEY_FILE) is required ${opts.required.because}. Accepted: ${STATE_KEY_ACCEPTED}.`,
    );
  }
  ensurePrivateDir(opts.dir);
  const file = path.join(opts.dir, STATE_KEY_FILE);
  // Written in the form SPACEPAY_STATE_KEY accepts, so it can be copied to other instances.
  const text = createPrivateFileOnce(
    file,
    Buffer.from(randomBytes(STATE_KEY_BYTES).toString("base64") + "\n"),
  )
    .toString("utf8")
    .trim();
  const parsed = parseStateKey(text);
  if (!parsed.ok) {
    throw new StateDirError(
      `State key file ${file} ${parsed.problem}. Fix: restore it from a backup (without it, sealed payment secrets cannot be read), or set SPACEPAY_STATE_KEY.`,
    );
  }
  return registerKey(parsed.key);
}
