// The built HTTP server with a webhook secret, as the webhook tests meet it: the simulator behind it,
// an MCP client (2025, bearer token) for tools and spacepay://account, and `deliver` to POST a
// delivery signed the way SpacePay signs one (or deliberately not). `close()` stops what it started.
import { expect } from "vitest";
import type { Client as Client2026 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { signWebhook } from "../../src/webhooks/signature.js";
import { requireBuild, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";
import { builtServerEnv, httpClient2026 } from "../helpers/mcp2026.js";

export const TOKEN = "webhook-test-bearer-0123456789abcdef";
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export interface Delivery {
  body: string | Buffer;
  /** The X-SpacePay-Event-Id header (none unless given). */
  eventId?: string;
  /** Signs with this secret; the server's first unless given. */
  secret?: string;
  /** Unix seconds, now unless given; null sends no header. */
  timestamp?: string | null;
  /** Instead of `timestamp`: now plus this many seconds, as of sending (a list built earlier stays true). */
  skewSeconds?: number;
  /** The header as sent instead of the right one; null sends none. */
  signature?: string | null;
}

export interface WebhookServer {
  sim: SimulatorHandle;
  server: HttpServer;
  client: Client;
  deliver(d: Delivery): Promise<{ status: number; body: any }>;
  /** A payment event for `paymentId` with event id `eventId`, signed with the first secret. */
  paymentEvent(eventId: string, paymentId: string): Promise<{ status: number; body: any }>;
  /** spacepay://account as a client reads it. */
  account(): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export async function startWebhookServer(opts: {
  secrets: readonly string[];
  /** The simulator to use (not closed by close()); a new one otherwise. */
  sim?: SimulatorHandle;
  env?: Record<string, string>;
}): Promise<WebhookServer> {
  requireBuild();
  const sim = opts.sim ?? (await startSimulator({ samplePayments: 0, processingMs: 0 }));
  const env = builtServerEnv(sim.url, {
    PATH: process.env.PATH ?? "",
    SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
    SPACEPAY_WEBHOOK_SECRET: opts.secrets.join(","),
    // No backfill: the index holds only what the webhooks (and lookups) put in it.
    SPACEPAY_INDEX_BACKFILL_MAX: "0",
    ...opts.env,
  });
  const server = await startHttpServer(env.env);
  const endpoint = server.url.replace(/\/mcp$/, "/webhooks/spacepay");
  const client = new Client({ name: "webhook-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: AUTH } }),
  );

  const deliver = async (d: Delivery) => {
    const timestamp =
      d.timestamp === undefined ? String(Math.floor(Date.now() / 1000) + (d.skewSeconds ?? 0)) : d.timestamp;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (d.eventId) headers["x-spacepay-event-id"] = d.eventId;
    if (timestamp !== null) headers["x-spacepay-timestamp"] = timestamp;
    const signature =
      d.signature === undefined
        ? signWebhook(d.secret ?? opts.secrets[0]!, timestamp ?? "", d.body)
        : d.signature;
    if (signature !== null) headers["x-spacepay-signature"] = signature;
    const res = await fetch(endpoint, { method: "POST", headers, body: d.body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    sim,
    server,
    client,
    deliver,
    paymentEvent: (eventId, paymentId) =>
      deliver({ body: JSON.stringify({ id: eventId, type: "payment.updated", data: { id: paymentId } }) }),
    async account() {
      const read = await client.readResource({ uri: "spacepay://account" });
      return JSON.parse((read.contents[0] as { text: string }).text);
    },
    async close() {
      await client.close();
      await server.stop();
      if (!opts.sim) await sim.close();
      env.remove();
    },
  };
}

/** Every request the simulator received about this payment (merchant and payment-secret routes). */
export const requestsFor = (sim: SimulatorHandle, paymentId: string) =>
  sim.control.requests({ path: new RegExp(paymentId) }).length;

/** A 2026-07-28 listen stream on `uri`: the updates it hears, and a promise of the first. */
async function listenFor(listener: Client2026, uri: string) {
  const updates: string[] = [];
  let notified!: () => void;
  const heard = new Promise<void>((resolve) => (notified = resolve));
  listener.setNotificationHandler("notifications/resources/updated", (n) => {
    updates.push(n.params.uri);
    notified();
  });
  const sub = await listener.listen({ resourceSubscriptions: [uri] });
  return { updates, heard, sub };
}

/**
 * A redelivery of an event already acted on: acknowledged as a duplicate, and nothing more is fetched
 * for the object (`fetches` counts since before the first delivery) nor heard by its listener.
 */
async function expectIgnoredRedelivery(
  redeliver: () => Promise<{ status: number; body: unknown }>,
  fetches: () => number,
  heard: string[],
  uri: string,
): Promise<void> {
  expect(await redeliver()).toEqual({ status: 200, body: { received: true, duplicate: true } });
  expect(fetches()).toBe(1);
  expect(heard).toEqual([uri]);
}

/**
 * A 2026-07-28 listen stream on `uri` hears one update at once after a verified event for the object
 * `id`, the receiver's fetch by id being the only request for it in between, and nothing more when the
 * same event is delivered again. `settle` changes the object upstream; `deliver` sends the event.
 */
export async function expectEventWakesListener(
  w: WebhookServer,
  object: {
    id: string;
    uri: string;
    settle: () => Promise<unknown>;
    deliver: () => Promise<{ status: number; body: unknown }>;
  },
): Promise<void> {
  const { id, uri } = object;
  const listener: Client2026 = await httpClient2026(w.server.url, AUTH);
  try {
    const { updates, heard, sub } = await listenFor(listener, uri);
    await object.settle();
    const before = requestsFor(w.sim, id);

    const sent = Date.now();
    expect(await object.deliver()).toEqual({ status: 200, body: { received: true } });
    await heard;
    // Far sooner than the next poll (a minute away).
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(updates).toEqual([uri]);
    expect(requestsFor(w.sim, id) - before).toBe(1);

    // Delivered again: acknowledged, nothing fetched, so nothing woken.
    await expectIgnoredRedelivery(object.deliver, () => requestsFor(w.sim, id) - before, updates, uri);
    await sub.close();
  } finally {
    await listener.close();
  }
}

/** A pending payment made through the server's create_payment, confirming with the token it asks for. */
export async function newPayment(client: Client, orderId: string): Promise<string> {
  const args = { amountInCents: 1_000, orderId };
  const asked = await client.callTool({ name: "create_payment", arguments: args });
  const token = (asked.structuredContent as { confirmationToken: string }).confirmationToken;
  const made = await client.callTool({
    name: "create_payment",
    arguments: { ...args, confirmationToken: token },
  });
  if (made.isError) throw new Error(`create_payment failed: ${JSON.stringify(made.content)}`);
  return (made.structuredContent as { payment: { id: string } }).payment.id;
}

/**
 * Starts wait_for_payment (until final, 30 s) and resolves once it listens to the watcher (its first
 * progress notification); the answer is the call's result.
 */
export async function waitingFor(client: Client, paymentId: string): Promise<{ answer: Promise<unknown> }> {
  let listening!: () => void;
  const waiting = new Promise<void>((resolve) => (listening = resolve));
  const answer = client.callTool(
    { name: "wait_for_payment", arguments: { paymentId, timeoutSeconds: 30 } },
    undefined,
    { onprogress: () => listening(), timeout: 40_000 },
  );
  await waiting;
  return { answer: answer.then((r) => r.structuredContent) };
}

/** Re-reads until `check` holds (the event is acted on after its acknowledgement). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (v: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
