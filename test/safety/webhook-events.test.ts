// Webhook event ids in the state store, on both backends: the first claim of an id wins and a repeat
// (from any connection, as another instance would be) loses; an id is remembered for at least 24 hours
// and forgotten once past the retention, so the table does not grow without bound.
import { describe, expect, it } from "vitest";
import { WEBHOOK_EVENT_RETENTION_MS } from "../../src/safety/webhook-events.js";
import { stateBackends, useFreshPlace } from "./backends.js";

const HOUR = 3600_000;

describe.each(stateBackends())("webhook event ids on $name", (backend) => {
  const at = useFreshPlace(backend);

  it("the first claim wins, on any connection; a repeat within a day loses", async () => {
    const other = await at.place.open();
    const t0 = Date.now();
    expect(await at.store.webhookEvents.claim("evt_1", t0)).toBe(true);
    expect(await other.webhookEvents.claim("evt_1", t0 + 1)).toBe(false);
    expect(await at.store.webhookEvents.claim("evt_1", t0 + 24 * HOUR)).toBe(false);
    expect(await other.webhookEvents.claim("evt_2", t0 + 2)).toBe(true);
  });

  it("forgets an id once past the retention (48 h), and not before", async () => {
    expect(WEBHOOK_EVENT_RETENTION_MS).toBeGreaterThanOrEqual(24 * HOUR);
    const t0 = Date.now();
    expect(await at.store.webhookEvents.claim("evt_old", t0)).toBe(true);
    expect(await at.store.webhookEvents.claim("evt_old", t0 + WEBHOOK_EVENT_RETENTION_MS - HOUR)).toBe(false);
    // A claim past the retention prunes first: the id is free again.
    expect(await at.store.webhookEvents.claim("evt_old", t0 + WEBHOOK_EVENT_RETENTION_MS + HOUR)).toBe(true);
  });
});
