// The simulator's webhook sender: each payment and withdrawal change is POSTed to the configured URL as
// SpacePay sends it (a minimal snapshot; X-SpacePay-Event-Id, X-SpacePay-Timestamp and the hex
// HMAC-SHA256 X-SpacePay-Signature of `timestamp.rawBody`), retried on a 5xx or a network error. Faults,
// drawn from their own seeded stream (so ids stay as without webhooks): drop, duplicate, delay, reorder
// and a bad signature. Every attempt is kept for tests (`deliveries`).
import { randomBytes } from "node:crypto";
import { signWebhook } from "../webhooks/signature.js";
import { createRng, type Rng } from "./rng.js";

export type WebhookEventType =
  "payment.created" | "payment.updated" | "withdrawal.created" | "withdrawal.updated";

export interface WebhookFaults {
  /** Probability (0 to 1) that an event is never sent. */
  drop?: number;
  /** Probability that an event is sent twice (same event id). */
  duplicate?: number;
  /** Probability that a delivery carries a signature made with the wrong secret. */
  badSignature?: number;
  /** Each event waits this long before it is sent. */
  delayMs?: number;
  /** Events are sent in swapped pairs: each waits for the next (or 200 ms) and goes after it. */
  reorder?: boolean;
}

export interface WebhookTarget {
  url: string;
  secret: string;
  faults?: WebhookFaults;
}

/** One attempt, kept in the order attempts were sent. */
export interface WebhookDelivery {
  eventId: string;
  type: WebhookEventType;
  objectId: string;
  /** The status the event's snapshot carried. */
  objectStatus: string;
  /** 1 for the first try; a duplicate is a delivery of its own with attempt 1. */
  attempt: number;
  signature: "valid" | "bad";
  /** The receiver's HTTP status; null when it could not be reached. */
  status: number | null;
}

interface Pending {
  eventId: string;
  type: WebhookEventType;
  objectId: string;
  objectStatus: string;
  body: string;
}

const ATTEMPTS = 3;
const RETRY_MS = 250;
const REORDER_WINDOW_MS = 200;
const KEPT = 1_000;

export class WebhookSender {
  private target: WebhookTarget | null = null;
  private readonly rng: Rng;
  private readonly log: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private held: { event: Pending; timer: NodeJS.Timeout } | null = null;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(seed: number) {
    this.rng = createRng(seed, "webhooks");
  }

  configure(target: WebhookTarget | null): void {
    this.target = target;
  }

  configured(): boolean {
    return this.target !== null;
  }

  /** A change to send: `data` is the minimal snapshot (id and status). */
  emit(type: WebhookEventType, data: { id: string; status: string }, nowMs: number): void {
    const target = this.target;
    if (!target || this.closed) return;
    const eventId = `evt_${randomBytes(12).toString("hex")}`;
    const body = JSON.stringify({ id: eventId, type, createdAt: new Date(nowMs).toISOString(), data });
    const event: Pending = { eventId, type, objectId: data.id, objectStatus: data.status, body };
    const faults = target.faults ?? {};
    if (this.chance(faults.drop)) return;
    const copies = this.chance(faults.duplicate) ? 2 : 1;
    const go = () => {
      for (let i = 0; i < copies; i++) void this.deliver(target, event);
    };
    const delayed = (): void => {
      if (faults.delayMs) this.later(faults.delayMs, go);
      else go();
    };
    if (!faults.reorder) return delayed();
    // Swapped pairs: the first of a pair waits for the second, which goes first.
    const previous = this.held;
    if (previous) {
      clearTimeout(previous.timer);
      this.timers.delete(previous.timer);
      this.held = null;
      delayed();
      const first = () => {
        for (let i = 0; i < copies; i++) void this.deliver(target, previous.event);
      };
      // Right after the second has been handed to fetch.
      this.later(faults.delayMs ?? 0, first);
      return;
    }
    const timer = this.later(REORDER_WINDOW_MS, () => {
      this.held = null;
      delayed();
    });
    this.held = { event, timer };
  }

  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  /** Resolves once nothing is waiting to be sent or in flight. */
  async idle(): Promise<void> {
    while (this.inFlight > 0 || this.timers.size > 0) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = null;
    this.settle();
  }

  private chance(p: number | undefined): boolean {
    return p !== undefined && p > 0 && this.rng.next() < p;
  }

  private later(ms: number, run: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
      this.settle();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private settle(): void {
    if (this.inFlight > 0 || this.timers.size > 0) return;
    for (const w of this.waiters.splice(0)) w();
  }

  private async deliver(target: WebhookTarget, event: Pending): Promise<void> {
    const bad = this.chance(target.faults?.badSignature);
    this.inFlight++;
    try {
      for (let attempt = 1; attempt <= ATTEMPTS && !this.closed; attempt++) {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const secret = bad ? `${target.secret}-not-the-secret` : target.secret;
        const entry: WebhookDelivery = {
          eventId: event.eventId,
          type: event.type,
          objectId: event.objectId,
          objectStatus: event.objectStatus,
          attempt,
          signature: bad ? "bad" : "valid",
          status: null,
        };
        this.log.push(entry);
        if (this.log.length > KEPT) this.log.shift();
        try {
          const res = await fetch(target.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-spacepay-event-id": event.eventId,
              "x-spacepay-timestamp": timestamp,
              "x-spacepay-signature": signWebhook(secret, timestamp, event.body),
            },
            body: event.body,
            signal: AbortSignal.timeout(10_000),
          });
          entry.status = res.status;
          await res.arrayBuffer().catch(() => {});
        } catch {
          // Not reached: retried below like a 5xx.
        }
        const status = entry.status;
        if (status !== null && status < 500) return;
        await new Promise((r) => setTimeout(r, RETRY_MS * 2 ** (attempt - 1)).unref());
      }
    } finally {
      this.inFlight--;
      this.settle();
    }
  }
}
