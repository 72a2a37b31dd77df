// Webhooks and the order index (issue 25), on the built server over HTTP against an in-process
// simulator, every upstream request counted at the simulator:
// - notification latency: a wait_for_payment in progress, from the payment completing at SpacePay to
//   the answer, with webhooks (the simulator sends its signed events) against polling (default 2 s);
// - upstream GETs per minute for 500 watched payments (one 2026-07-28 listen stream), with webhooks
//   (the safety-net sweep) and without (a poll per payment). Both are measured over a short window with
//   the poll interval at 1 s, as requests per interval, and scaled to the defaults: one sweep a minute
//   with webhooks (60 s), thirty polls a minute without (2 s);
// - an order lookup (list_payments {orderId}, an order among the oldest) in a merchant of
//   `merchantSize` payments, before the index (the bounded scan) and after its backfill.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  Client as Client2026,
  StreamableHTTPClientTransport as Transport2026,
} from "@modelcontextprotocol/client";
import { startSimulator, type SimulatorHandle } from "../src/simulator/index.js";
import { SpacePayClient } from "../src/spacepay/client.js";
import { SECRET_KEY, startListening, tempStateDir, type ListeningProcess } from "./child.js";
import { PAYMENTS_PATH } from "./http.js";
import { median, now, round } from "./stats.js";

const TOKEN = "spacepay-bench-webhooks-token-0123456789";
const SECRET = "whsec_bench_0123456789abcdef";

export interface WebhooksResult {
  latency: { samples: number; webhookMs: number; pollingMs: number; pollIntervalMs: number };
  watched: {
    payments: number;
    windowMs: number;
    /** Upstream requests per 1 s interval, measured. */
    perIntervalWithWebhooks: number;
    perIntervalWithout: number;
    /** Scaled to the default intervals: 60 s with webhooks, 2 s without. */
    perMinuteWithWebhooks: number;
    perMinuteWithout: number;
  };
  lookup: {
    merchantSize: number;
    before: { requests: number; ms: number; found: boolean };
    after: { requests: number; ms: number; found: boolean };
    backfillMs: number;
    backfillRequests: number;
  };
}

interface Served {
  proc: ListeningProcess;
  client: Client;
  state: { remove(): void };
  stop(): Promise<void>;
}

async function serve(cli: string, apiUrl: string, env: Record<string, string>): Promise<Served> {
  const state = tempStateDir();
  const proc = await startListening([cli, "--http", "--port", "0"], {
    env: {
      SPACEPAY_SECRET_KEY: SECRET_KEY,
      SPACEPAY_API_URL: apiUrl,
      SPACEPAY_STATE_DIR: state.dir,
      SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
      SPACEPAY_API_BUDGET_PER_SECOND: "1000",
      SPACEPAY_MAX_WATCHES_PER_CALLER: "10000",
      ...env,
    },
    stream: "stderr",
    pattern: /MCP over Streamable HTTP at (http:\/\/\S+)/,
    what: "spacepay-mcp --http",
  });
  const client = new Client({ name: "bench-webhooks", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(proc.url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return {
    proc,
    client,
    state,
    async stop() {
      await client.close().catch(() => {});
      await proc.stop();
      state.remove();
    },
  };
}

const endpoint = (s: Served) => s.proc.url.replace(/\/mcp$/, "/webhooks/spacepay");

async function pendingPayments(sim: SimulatorHandle, n: number): Promise<string[]> {
  const api = new SpacePayClient({
    baseUrl: sim.url,
    secretKey: SECRET_KEY,
    timeoutMs: 10_000,
    maxRetries: 0,
  });
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const made = await api.createPayment({
        type: "payment",
        amountInCents: 1_000 + i,
        currency: "USD",
        orderId: `bench-${Date.now()}-${i}`,
      });
      ids.push(made.data.paymentId);
    }
    return ids;
  } finally {
    await api.close();
  }
}

/** One wait_for_payment, from the payment completing at the simulator to the answer (ms). */
async function waitLatency(sim: SimulatorHandle, s: Served, id: string): Promise<number> {
  let listening!: () => void;
  const waiting = new Promise<void>((resolve) => (listening = resolve));
  const answer = s.client.callTool(
    { name: "wait_for_payment", arguments: { paymentId: id, timeoutSeconds: 30 } },
    undefined,
    { onprogress: () => listening(), timeout: 40_000 },
  );
  await waiting;
  await sim.control.pay(id, { outcome: "exact", wait: true });
  const t = now();
  await answer;
  return now() - t;
}

async function measureLatency(cli: string, samples: number): Promise<WebhooksResult["latency"]> {
  const sim = await startSimulator({ samplePayments: 0, processingMs: 0 });
  const [withHooks, polling] = await Promise.all([
    serve(cli, sim.url, { SPACEPAY_WEBHOOK_SECRET: SECRET, SPACEPAY_INDEX_BACKFILL_MAX: "0" }),
    serve(cli, sim.url, { SPACEPAY_INDEX_BACKFILL_MAX: "0" }),
  ]);
  try {
    sim.control.webhooks({ url: endpoint(withHooks), secret: SECRET });
    const ids = await pendingPayments(sim, 2 * samples);
    const hooked: number[] = [];
    const polled: number[] = [];
    // Alternating, so load hits both alike.
    for (let i = 0; i < samples; i++) {
      hooked.push(await waitLatency(sim, withHooks, ids[2 * i]!));
      polled.push(await waitLatency(sim, polling, ids[2 * i + 1]!));
    }
    return {
      samples,
      webhookMs: round(median(hooked), 1),
      pollingMs: round(median(polled), 1),
      pollIntervalMs: 2000,
    };
  } finally {
    await Promise.all([withHooks.stop(), polling.stop()]);
    await sim.close();
  }
}

/** Upstream requests per 1 s interval while `payments` pending payments are watched by one listen stream. */
async function watchedCost(
  cli: string,
  payments: number,
  windowMs: number,
  webhooks: boolean,
): Promise<number> {
  const sim = await startSimulator({ samplePayments: 0, processingMs: 0 });
  const s = await serve(cli, sim.url, {
    SPACEPAY_POLL_INTERVAL_MS: "1000",
    SPACEPAY_INDEX_BACKFILL_MAX: "0",
    ...(webhooks && { SPACEPAY_WEBHOOK_SECRET: SECRET }),
  });
  // A 2026-07-28 listen stream on every payment; it is acknowledged once every baseline is read.
  const listener = new Client2026(
    { name: "bench-listen", version: "1" },
    { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  try {
    const ids = await pendingPayments(sim, payments);
    await listener.connect(
      new Transport2026(new URL(s.proc.url), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const sub = await listener.listen({
      resourceSubscriptions: ids.map((id) => `spacepay://payments/${id}`),
    });
    const before = sim.control.requests({ method: "GET", path: "/v1/**" }).length;
    await new Promise((r) => setTimeout(r, windowMs));
    const counted = sim.control.requests({ method: "GET", path: "/v1/**" }).length - before;
    await sub.close();
    return counted / (windowMs / 1000);
  } finally {
    await listener.close().catch(() => {});
    await s.stop();
    await sim.close();
  }
}

async function measureLookup(cli: string, merchantSize: number): Promise<WebhooksResult["lookup"]> {
  const sim = await startSimulator({ samplePayments: merchantSize, seed: 25 });
  try {
    const api = new SpacePayClient({
      baseUrl: sim.url,
      secretKey: SECRET_KEY,
      timeoutMs: 10_000,
      maxRetries: 0,
    });
    const last = Math.max(0, merchantSize - 3);
    const oldest = (await api.listPayments({ limit: 1, offset: last })).data.data[0]!;
    await api.close();
    const lookup = async (s: Served) => {
      sim.control.clearRequests();
      const t = now();
      const r = await s.client.callTool({ name: "list_payments", arguments: { orderId: oldest.orderId } });
      const ms = now() - t;
      const found = JSON.stringify(r.structuredContent ?? {}).includes(oldest.id);
      return { requests: sim.control.requests({ path: "/v1/**" }).length, ms: round(ms, 1), found };
    };
    const plain = await serve(cli, sim.url, { SPACEPAY_INDEX_BACKFILL_MAX: "0" });
    let before: WebhooksResult["lookup"]["before"];
    try {
      before = await lookup(plain);
    } finally {
      await plain.stop();
    }
    sim.control.clearRequests();
    const t = now();
    const indexed = await serve(cli, sim.url, {});
    try {
      for (;;) {
        const read = await indexed.client.readResource({ uri: "spacepay://account" });
        const index = JSON.parse((read.contents[0] as { text: string }).text).index as { complete: boolean };
        if (index.complete) break;
        if (now() - t > 120_000) throw new Error("the backfill did not complete in 2 minutes");
        await new Promise((r) => setTimeout(r, 50));
      }
      const backfillMs = round(now() - t, 0);
      const backfillRequests = sim.control.requests({ method: "GET", path: PAYMENTS_PATH }).length;
      const after = await lookup(indexed);
      return { merchantSize, before, after, backfillMs, backfillRequests };
    } finally {
      await indexed.stop();
    }
  } finally {
    await sim.close();
  }
}

export async function measureWebhooks(opts: {
  cli: string;
  latencySamples: number;
  watched: number;
  windowMs: number;
  merchantSize: number;
}): Promise<WebhooksResult> {
  const latency = await measureLatency(opts.cli, opts.latencySamples);
  const withHooks = await watchedCost(opts.cli, opts.watched, opts.windowMs, true);
  const without = await watchedCost(opts.cli, opts.watched, opts.windowMs, false);
  const lookup = await measureLookup(opts.cli, opts.merchantSize);
  return {
    latency,
    watched: {
      payments: opts.watched,
      windowMs: opts.windowMs,
      perIntervalWithWebhooks: round(withHooks, 1),
      perIntervalWithout: round(without, 1),
      perMinuteWithWebhooks: round(withHooks, 1),
      perMinuteWithout: round(without * 30, 0),
    },
    lookup,
  };
}
