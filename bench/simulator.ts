// The simulator's own speed: GETs per second, and list/search latency with many payments stored, so
// tests and demos that lean on it stay quick.
import { startSimulatorProcess } from "./child.js";
import { directApi, PAYMENTS_PATH, paymentIds } from "./http.js";
import { now, round, runConcurrently, summarize, type Summary } from "./stats.js";

export interface SimulatorResult {
  payments: number;
  /** Milliseconds from spawn to listening, with the payments seeded. */
  startMs: number;
  inFlight: number;
  getsPerSec: number;
  /** `?limit=20`, newest first. */
  list: Summary;
  /** `?search=…&limit=20`, a partial payment id: a scan of every payment. */
  search: Summary;
  /** `?limit=20&offset=…` near the end. */
  deepPage: Summary;
}

async function latencies(n: number, fn: () => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await fn();
    samples.push(now() - t);
  }
  return summarize(samples);
}

export async function measureSimulator(opts: {
  cli: string;
  payments: number;
  gets: number;
  queries: number;
  inFlight: number;
}): Promise<SimulatorResult> {
  const t = now();
  const sim = await startSimulatorProcess(opts.cli, { samples: opts.payments, seed: 7 });
  const startMs = round(now() - t, 1);
  const api = directApi(sim.url, opts.inFlight);
  try {
    const ids = await paymentIds(api, 100);
    const ms = await runConcurrently(opts.gets, opts.inFlight, (i) =>
      api.get(`${PAYMENTS_PATH}/${ids[i % ids.length]}`),
    );
    const needle = (ids[ids.length - 1] as string).slice(0, 8);
    return {
      payments: opts.payments,
      startMs,
      inFlight: opts.inFlight,
      getsPerSec: Math.round((opts.gets / ms) * 1000),
      list: await latencies(opts.queries, () => api.get(`${PAYMENTS_PATH}?limit=20`)),
      search: await latencies(opts.queries, () => api.get(`${PAYMENTS_PATH}?search=${needle}&limit=20`)),
      deepPage: await latencies(opts.queries, () =>
        api.get(`${PAYMENTS_PATH}?limit=20&offset=${Math.max(0, opts.payments - 20)}`),
      ),
    };
  } finally {
    await api.close();
    await sim.stop();
  }
}
