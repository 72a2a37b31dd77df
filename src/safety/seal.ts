// Sealing with the state key: AES-256-GCM in a versioned compact envelope, `v1.<base64url(iv|ciphertext|tag)>`.
// The AAD names what a sealed value is for ("payment-secret:<paymentId>", "claims:request-state"),
// so a value sealed for one purpose or record cannot be passed off as another.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { STATE_KEY_BYTES } from "./state-key.js";

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Why a sealed value was refused. "tampered" covers a wrong key too: GCM cannot tell a changed
 * ciphertext from one sealed with another key or for another purpose.
 */
export type OpenFailure = "malformed" | "tampered";

export type Opened = { ok: true; plaintext: string } | { ok: false; reason: OpenFailure };

function checkKey(key: Buffer): void {
  // A caller bug, not a property of the data: fail loudly.
  if (key.length !== STATE_KEY_BYTES) throw new TypeError(`state key must be ${STATE_KEY_BYTES} bytes`);
}

/** Seals `plaintext` under `key`, bound to `aad`. A fresh random IV each time. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}`;
}

/** Opens what seal() made with the same key and aad; never throws for bad input. */
export function open(key: Buffer, sealed: string, aad: string): Opened {
  checkKey(key);
  const prefix = `${VERSION}.`;
  if (!sealed.startsWith(prefix)) return { ok: false, reason: "malformed" };
  const encoded = sealed.slice(prefix.length);
  // Buffer.from ignores characters outside the alphabet; a strict check keeps "malformed" honest.
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return { ok: false, reason: "malformed" };
  const raw = Buffer.from(encoded, "base64url");
  // Only the canonical encoding opens: a trailing character the decoder drops is still a different value.
  if (raw.toString("base64url") !== encoded) return { ok: false, reason: "malformed" };
  if (raw.length < IV_BYTES + TAG_BYTES) return { ok: false, reason: "malformed" };
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    return { ok: true, plaintext };
  } catch {
    // final() throws only when authentication fails; the crypto error says nothing more useful.
    return { ok: false, reason: "tampered" };
  }
}

export type OpenedClaims<T> =
  { ok: true; claims: T; id: string; expiresAt: number } | { ok: false; reason: OpenFailure | "expired" };

interface ClaimsEnvelope {
  /** Random id: what a single-use consumer records (store.consumedStates). */
  id: string;
  /** Epoch ms. */
  exp: number;
  claims: unknown;
}

const claimsAad = (purpose: string) => `claims:${purpose}`;

/** Seals JSON `claims` for `purpose` until `expiresAt`, with a fresh random id inside. */
export function sealClaims(key: Buffer, purpose: string, claims: object, expiresAt: Date | number): string {
  const envelope: ClaimsEnvelope = {
    id: randomBytes(16).toString("base64url"),
    exp: typeof expiresAt === "number" ? expiresAt : expiresAt.getTime(),
    claims,
  };
  return seal(key, JSON.stringify(envelope), claimsAad(purpose));
}

/**
 * Opens sealed claims for `purpose`. Authenticity comes first: an expired state is reported as
 * expired only once it is known to be ours. The claims' shape is the caller's to validate.
 */
export function openClaims<T = Record<string, unknown>>(
  key: Buffer,
  purpose: string,
  sealed: string,
  now: Date = new Date(),
): OpenedClaims<T> {
  const opened = open(key, sealed, claimsAad(purpose));
  if (!opened.ok) return opened;
  let envelope: ClaimsEnvelope;
  try {
    envelope = JSON.parse(opened.plaintext) as ClaimsEnvelope;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const valid =
    typeof envelope === "object" &&
    envelope !== null &&
    typeof envelope.id === "string" &&
    Number.isSafeInteger(envelope.exp) &&
    typeof envelope.claims === "object" &&
    envelope.claims !== null;
  if (!valid) return { ok: false, reason: "malformed" };
  if (now.getTime() >= envelope.exp) return { ok: false, reason: "expired" };
  return { ok: true, claims: envelope.claims as T, id: envelope.id, expiresAt: envelope.exp };
}

/** Sealed claims under one state key, which stays inside the closure (the state backends hold it). */
export interface ClaimsSealer {
  seal(purpose: string, claims: object, expiresAt: number): string;
  open<T>(purpose: string, sealed: string, now: Date): OpenedClaims<T>;
}

export function claimsSealer(key: Buffer): ClaimsSealer {
  return {
    seal: (purpose, claims, expiresAt) => sealClaims(key, purpose, claims, expiresAt),
    open: (purpose, sealed, now) => openClaims(key, purpose, sealed, now),
  };
}
