// The ids of webhook events already received, in the state store, so a redelivery (SpacePay retries,
// a proxy repeats, another instance got it first) is acknowledged and does nothing. One schema and one
// set of statements for SQLite and PostgreSQL, like order-index.ts.
import type { SqlRunner } from "./approvals.js";

/** The schema, written once: each backend renders `@INT` as its integer type. */
export const WEBHOOK_EVENTS_SCHEMA = `
  CREATE TABLE webhook_events (
    event_id    TEXT PRIMARY KEY,
    -- When it was first received, epoch ms; ids older than the retention are forgotten.
    received_at @INT NOT NULL
  );
  CREATE INDEX webhook_events_received ON webhook_events (received_at);`;

/** How long an event id is remembered: past SpacePay's retries (a day), with a day to spare. */
export const WEBHOOK_EVENT_RETENTION_MS = 48 * 3600 * 1000;
/** Forgetting old ids runs at most this often (one DELETE over an index). */
const PRUNE_EVERY_MS = 60_000;

export interface WebhookEventStore {
  /** Records the event id: true when it is new (first delivery, on any instance), false when already recorded. */
  claim(eventId: string, now?: number): Promise<boolean>;
}

const SQL = {
  claim:
    "INSERT INTO webhook_events (event_id, received_at) VALUES (@eventId, @now) ON CONFLICT (event_id) DO NOTHING",
  prune: "DELETE FROM webhook_events WHERE received_at < @before",
} as const;

export function createWebhookEventStore(db: SqlRunner): WebhookEventStore {
  let prunedAt = 0;
  return {
    async claim(eventId, now = Date.now()) {
      if (now - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now;
        await db.run(SQL.prune, { before: now - WEBHOOK_EVENT_RETENTION_MS });
      }
      return (await db.run(SQL.claim, { eventId, now })) === 1;
    },
  };
}
