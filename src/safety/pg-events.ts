// Payment and withdrawal statuses shared between instances on one PostgreSQL database (LISTEN/NOTIFY):
// the instance whose webhook receiver fetched a payment or withdrawal publishes what SpacePay answered, and every other instance
// hands it to its own watchers, so an event received anywhere wakes watchers everywhere without each
// instance fetching again. Each listener holds one connection of its own, reconnecting with backoff
// when it drops (polling covers the gap). Only with PostgreSQL and a webhook secret; SQLite serves one
// machine's processes, each woken by the events it receives.
import { randomUUID } from "node:crypto";
import type { Client, Pool } from "pg";
import { log } from "../log.js";
import { describe, PG_WHERE, run } from "./pg-run.js";
import type { PaymentEventChannel } from "./state.js";

const CHANNEL = "spacepay_payment_events";
/** Reconnection waits grow to this. */
const MAX_RETRY_MS = 30_000;
const ID = /^[A-Za-z0-9_.:-]{1,200}$/;
const STATUS = /^[a-z_]{1,40}$/;

export function pgPaymentEvents(pool: Pool, newClient: () => Client): PaymentEventChannel {
  // Which instance published, so a listener skips its own.
  const me = randomUUID();
  return {
    async publish(id, status, kind = "payment") {
      await run(pool, "SELECT pg_notify(@channel, @payload)", {
        channel: CHANNEL,
        payload: JSON.stringify({ from: me, id, status, kind }),
      });
    },
    listen(onStatus, onListening) {
      let stopped = false;
      let current: Client | null = null;
      let timer: NodeJS.Timeout | undefined;
      let failures = 0;
      const retry = () => {
        if (stopped) return;
        const waitMs = Math.min(MAX_RETRY_MS, 500 * 2 ** Math.min(failures++, 6));
        timer = setTimeout(connect, waitMs);
        timer.unref();
      };
      const connect = () => {
        if (stopped) return;
        const client = newClient();
        let retried = false;
        const lost = (err?: Error) => {
          if (retried || stopped) return;
          retried = true;
          if (current === client) current = null;
          log(
            "warn",
            `${PG_WHERE}: payment events from other instances paused (${describe(err).message}); reconnecting`,
          );
          void client.end().catch(() => {});
          retry();
        };
        client.on("error", lost);
        client.on("end", () => lost(new Error("connection ended")));
        client.on("notification", (msg) => {
          if (msg.channel !== CHANNEL || !msg.payload) return;
          try {
            const { from, id, status, kind } = JSON.parse(msg.payload) as Record<string, unknown>;
            if (from === me || typeof id !== "string" || typeof status !== "string") return;
            // An instance from before withdrawals were shared sends no kind: a payment.
            const what = kind === "withdrawal" ? "withdrawal" : "payment";
            if (ID.test(id) && STATUS.test(status)) onStatus(id, status, what);
          } catch {
            // Not ours (someone else NOTIFYing on the channel): ignored.
          }
        });
        client
          .connect()
          .then(() => client.query(`LISTEN ${CHANNEL}`))
          .then(() => {
            if (stopped) return void client.end().catch(() => {});
            current = client;
            failures = 0;
            onListening?.();
          })
          .catch((err: Error) => lost(err));
      };
      connect();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await current?.end().catch(() => {});
        current = null;
      };
    },
  };
}
