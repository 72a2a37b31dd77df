// MCP over Streamable HTTP: get_payment on 2026-07-28 with a bearer token through our server, against
// the SDK floor (the official v2 `createMcpHandler` with one tool making the same GET, sdk-floor-http.mjs)
// and that GET sent straight to the API, at 1 and at `inFlight` calls in flight. The three paths run in
// alternating blocks within each round, and the rounds repeat, so the ratios compare like with like on a
// shared machine; each ratio is reported as its median over the rounds with its spread.
import { Agent, request } from "undici";
import {
  ENVELOPE_2026,
  ourServer,
  PROTOCOL_2026,
  SDK_FLOOR_HTTP,
  SECRET_KEY,
  startListening,
} from "./child.js";
import { directApi, PAYMENTS_PATH } from "./http.js";
import { cpuMs, median, now, percentile, round, runConcurrently, summarize, type Summary } from "./stats.js";

const TOKEN = "spacepay-bench-http-token-0123456789";

export interface HttpRound {
  /** One call in flight, ms per call. */
  sequential: { ours: Summary; floor: Summary; direct: Summary };
  /** `inFlight` calls in flight: calls/s and the latency of each call, ms. */
  concurrent: {
    ours: { perSec: number; p50: number; p99: number };
    floor: { perSec: number; p50: number; p99: number };
    direct: { perSec: number; p50: number; p99: number };
  };
  /** Server CPU (user + system) per call over the round's MCP calls, ms; null without /proc. */
  cpuPerCallMs: { ours: number | null; floor: number | null };
}

/** A ratio's median over the rounds, with the lowest and highest. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface HttpResult {
  rounds: HttpRound[];
  sequentialCalls: number;
  concurrentCalls: number;
  inFlight: number;
  /** Ours and the floor at 1 in flight: p50 minus the direct GET's p50, ms. */
  addedP50Ms: { ours: Spread; floor: Spread };
  /** At `inFlight` in flight: our calls/s over the floor's, and our p99 over the floor's. */
  rateOverFloor: Spread;
  p99OverFloor: Spread;
  cpuOverFloor: Spread | null;
}

function spread(values: number[], digits = 2): Spread {
  return {
    median: round(median(values), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
  };
}

/** A 2026-07-28 client over HTTP: the envelope in `_meta`, the standard headers, the bearer token. */
function mcpClient(url: string, connections: number) {
  const dispatcher = new Agent({ connections, headersTimeout: 10_000, bodyTimeout: 10_000 });
  let nextId = 1;
  return {
    async getPayment(paymentId: string): Promise<void> {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: nextId++,
        method: "tools/call",
        params: { name: "get_payment", arguments: { paymentId }, _meta: ENVELOPE_2026 },
      });
      const res = await request(url, {
        method: "POST",
        dispatcher,
        body,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": PROTOCOL_2026,
          "mcp-method": "tools/call",
          "mcp-name": "get_payment",
        },
      });
      const text = await res.body.text();
      // A JSON body, or an SSE stream whose last data line is the answer.
      const json = text.startsWith("{")
        ? text
        : (text
            .match(/^data: (.*)$/gm)
            ?.pop()
            ?.slice(6) ?? "");
      const answer = JSON.parse(json || "null") as {
        result?: { isError?: boolean; content?: Array<{ text?: string }> };
      } | null;
      if (res.statusCode !== 200 || !answer?.result || answer.result.isError)
        throw new Error(`get_payment over HTTP → ${res.statusCode}: ${text.slice(0, 300)}`);
    },
    close: () => dispatcher.close(),
  };
}

async function sequential(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await fn(i);
    samples.push(now() - t);
  }
  return samples;
}

async function concurrent(n: number, inFlight: number, fn: (i: number) => Promise<unknown>) {
  const samples: number[] = [];
  const ms = await runConcurrently(n, inFlight, async (i) => {
    const t = now();
    await fn(i);
    samples.push(now() - t);
  });
  return {
    perSec: Math.round((n / ms) * 1000),
    p50: round(percentile(samples, 50), 3),
    p99: round(percentile(samples, 99), 3),
  };
}

export async function measureHttp(opts: {
  cli: string;
  apiUrl: string;
  stateDir: string;
  ids: readonly string[];
  sequentialCalls: number;
  concurrentCalls: number;
  warmup: number;
  inFlight: number;
  rounds: number;
}): Promise<HttpResult> {
  const spec = ourServer(opts.cli, opts.apiUrl, opts.stateDir);
  const [ours, floor] = await Promise.all([
    startListening([...spec.args, "--http", "--port", "0"], {
      env: {
        ...spec.env,
        SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
        // Every connection comes from the bench's one address: room for all of them.
        SPACEPAY_MCP_HTTP_MAX_CONNECTIONS_PER_CLIENT: "1000",
      },
      stream: "stderr",
      pattern: /MCP over Streamable HTTP at (http:\/\/\S+)/,
      what: "spacepay-mcp --http",
    }),
    startListening([SDK_FLOOR_HTTP, opts.apiUrl, SECRET_KEY], {
      pattern: /listening on (http:\/\/\S+)/,
      what: "HTTP SDK floor",
    }),
  ]);
  const viaOurs = mcpClient(ours.url, opts.inFlight);
  const viaFloor = mcpClient(floor.url, opts.inFlight);
  const direct = directApi(opts.apiUrl, opts.inFlight);
  const id = (i: number) => opts.ids[i % opts.ids.length] as string;
  const paths = {
    ours: (i: number) => viaOurs.getPayment(id(i)),
    floor: (i: number) => viaFloor.getPayment(id(i)),
    direct: (i: number) => direct.get(`${PAYMENTS_PATH}/${id(i)}`),
  };
  try {
    for (let i = 0; i < opts.warmup; i++) await Promise.all(Object.values(paths).map((fn) => fn(i)));
    await Promise.all(Object.values(paths).map((fn) => runConcurrently(opts.warmup, opts.inFlight, fn)));
    const rounds: HttpRound[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const cpu = { ours: cpuMs(ours.pid), floor: cpuMs(floor.pid) };
      // Each round's order rotates, so no path always follows the same one.
      const order = (["ours", "floor", "direct"] as const).map((_, k, all) => all[(k + r) % all.length]!);
      const seq = {} as Record<(typeof order)[number], number[]>;
      for (const p of order) seq[p] = await sequential(opts.sequentialCalls, paths[p]);
      const conc = {} as HttpRound["concurrent"];
      for (const p of order) conc[p] = await concurrent(opts.concurrentCalls, opts.inFlight, paths[p]);
      const calls = opts.sequentialCalls + opts.concurrentCalls;
      const perCall = (before: number | null, pid: number) => {
        const after = cpuMs(pid);
        return before === null || after === null ? null : round((after - before) / calls, 3);
      };
      rounds.push({
        sequential: { ours: summarize(seq.ours), floor: summarize(seq.floor), direct: summarize(seq.direct) },
        concurrent: conc,
        cpuPerCallMs: { ours: perCall(cpu.ours, ours.pid), floor: perCall(cpu.floor, floor.pid) },
      });
    }
    const cpuRatios = rounds.map((r) =>
      r.cpuPerCallMs.ours !== null && r.cpuPerCallMs.floor
        ? r.cpuPerCallMs.ours / r.cpuPerCallMs.floor
        : null,
    );
    return {
      rounds,
      sequentialCalls: opts.sequentialCalls,
      concurrentCalls: opts.concurrentCalls,
      inFlight: opts.inFlight,
      addedP50Ms: {
        ours: spread(
          rounds.map((r) => r.sequential.ours.p50 - r.sequential.direct.p50),
          3,
        ),
        floor: spread(
          rounds.map((r) => r.sequential.floor.p50 - r.sequential.direct.p50),
          3,
        ),
      },
      rateOverFloor: spread(rounds.map((r) => r.concurrent.ours.perSec / r.concurrent.floor.perSec)),
      p99OverFloor: spread(rounds.map((r) => r.concurrent.ours.p99 / r.concurrent.floor.p99)),
      cpuOverFloor: cpuRatios.every((c) => c !== null) ? spread(cpuRatios as number[]) : null,
    };
  } finally {
    await Promise.all([viaOurs.close(), viaFloor.close(), direct.close()]);
    await Promise.all([ours.stop(), floor.stop()]);
  }
}
