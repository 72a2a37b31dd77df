// What makes two guarded calls "the same call", and where a confirmation was made. A call is its tool,
// its canonical arguments (orderId and idempotencyKey included, or their absence; confirmationToken
// never), its caller and its place: the mode, the API host and a fingerprint of the merchant key
// (a hash, never the key). Every confirmation artefact carries its place, and one made elsewhere is refused.
import type { Mode } from "../domain.js";
import { canonicalJson, sha256 } from "./confirm.js";

export interface Place {
  mode: Mode;
  /** The SpacePay API host this server sends to. */
  apiHost: string;
  /** fingerprintMerchantKey (idempotency.ts). */
  merchantKeyFingerprint: string;
}

/** The place as stored with an artefact; compared whole, explained by `placeMismatch`. */
export function placeOf(place: Place): string {
  return JSON.stringify([place.mode, place.apiHost, place.merchantKeyFingerprint]);
}

/** Why an artefact made at `made` is not for this server, or null when it is. */
export function placeMismatch(made: string, here: Place): string | null {
  if (made === placeOf(here)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(made);
  } catch {
    parsed = null;
  }
  const [mode, apiHost] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  if (mode !== here.mode)
    return `it was made by a server in ${String(mode)} mode, and this one runs in ${here.mode} mode`;
  if (apiHost !== here.apiHost)
    return `it was made for the SpacePay API at ${String(apiHost)}, and this server uses ${here.apiHost}`;
  return "it was made under another merchant key (SPACEPAY_SECRET_KEY)";
}

/** The identity of a guarded call: identical repeats share it, on any process or instance. */
export function callIdentity(
  tool: string,
  args: Record<string, unknown>,
  caller: string | undefined,
  place: Place,
): string {
  return sha256(JSON.stringify([tool, canonicalJson(args), caller ?? null, placeOf(place)]));
}
