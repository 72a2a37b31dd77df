// The state key's canary: a known text sealed with the key, kept beside the payment secrets (one row
// under a reserved id, so no schema change). Opening the state opens the canary too, so a key that
// does not open the existing data is found at startup, not at the first payment-secret lookup.
import { open, seal } from "./seal.js";

const CANARY_ID = "~spacepay-mcp:state-key-canary";
const CANARY_AAD = "state-key-canary";
const CANARY_TEXT = "spacepay-mcp state key canary v1";

export const KEY_CANARY_SQL = {
  get: "SELECT sealed_secret FROM payment_secrets WHERE payment_id = @id",
  anyOther: "SELECT payment_id, sealed_secret FROM payment_secrets WHERE payment_id <> @id LIMIT 1",
  // Insert-if-absent: instances starting together on a fresh database agree on one canary.
  insert: `INSERT INTO payment_secrets (payment_id, sealed_secret, created_at) VALUES (@id, @sealed, @now)
           ON CONFLICT (payment_id) DO NOTHING`,
} as const;

/** The state key does not open what the state already holds. */
export class StateKeyError extends Error {
  override name = "StateKeyError";
  /** The setting to fix. */
  readonly setting = "SPACEPAY_STATE_KEY";
}

/** The statements the check needs, from either backend. */
export interface CanaryRows {
  one<R>(sql: string, params: Record<string, unknown>): Promise<R | undefined>;
  run(sql: string, params: Record<string, unknown>): Promise<void>;
}

export interface CanaryOptions {
  /** Whether the key came from SPACEPAY_STATE_KEY (else state.key in the state directory). */
  configured: boolean;
  /** What a stored payment secret is sealed to, for a state that predates the canary. */
  secretAad: (paymentId: string) => string;
}

/** Opens the canary, creating it with this key on a state that has none; throws StateKeyError. */
export async function checkKeyCanary(key: Buffer, rows: CanaryRows, opts: CanaryOptions): Promise<void> {
  const wrong = () =>
    new StateKeyError(
      `${opts.configured ? "SPACEPAY_STATE_KEY" : "The state directory's state.key"} does not open the existing state: it is not the key this state was sealed with. Fix: use the original key (every instance sharing the state needs the same one), or start on a fresh state.`,
    );
  const get = () => rows.one<{ sealed_secret: string }>(KEY_CANARY_SQL.get, { id: CANARY_ID });
  let row = await get();
  if (!row) {
    // A state from before the canary: a payment secret it holds must open with this key.
    const other = await rows.one<{ payment_id: string; sealed_secret: string }>(KEY_CANARY_SQL.anyOther, {
      id: CANARY_ID,
    });
    if (other && !open(key, other.sealed_secret, opts.secretAad(other.payment_id)).ok) throw wrong();
    const sealed = seal(key, CANARY_TEXT, CANARY_AAD);
    await rows.run(KEY_CANARY_SQL.insert, { id: CANARY_ID, sealed, now: Date.now() });
    row = await get();
  }
  const opened = row && open(key, row.sealed_secret, CANARY_AAD);
  if (!opened || !opened.ok || opened.plaintext !== CANARY_TEXT) throw wrong();
}
