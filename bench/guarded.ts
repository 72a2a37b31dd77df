// Guarded withdrawals through the whole guard (policy, ledger reservation, audit intent and outcome,
// the API call), on SQLite with one instance and on PostgreSQL with two instances sharing one
// database, as ratios against an unguarded read (get_payment) measured in the same run.
import { randomBytes } from "node:crypto";
import { ourServer, RpcChild, tempStateDir } from "./child.js";
import { now, round, runConcurrently, summarize, withTimeout, type Summary } from "./stats.js";
import { startPostgres } from "../test/helpers/postgres.js";

export interface GuardedBackendResult {
  instances: number;
  /** Sequential calls, ms. */
  latency: Summary;
  perSec: number;
  /** Guarded p50 over the read's p50 (how many reads one withdrawal costs). */
  p50OverRead: number;
  p99OverRead: number;
  /** Guarded calls per second over reads per second. */
  rateOverRead: number;
}

export interface GuardedResult {
  calls: number;
  inFlight: number;
  read: { latency: Summary; perSec: number };
  sqlite: GuardedBackendResult;
  postgres: GuardedBackendResult;
}

const RECIPIENT = "0x1111111111111111111111111111111111111111";

interface ToolResult {
  isError?: boolean;
  content?: Array<{ text?: string }>;
}

/** Unconfirmed (an allow-listed recipient), with room under every cap for the whole run. */
const GUARDED_ENV = {
  SPACEPAY_CONFIRM: "off",
  SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
  SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "10000000000",
  SPACEPAY_LOG_LEVEL: "warn",
};

async function call(server: RpcChild, name: string, args: Record<string, unknown>): Promise<void> {
  const res = await server.callTool<ToolResult>(name, args);
  if (res.isError) throw new Error(`${name} failed: ${res.content?.[0]?.text ?? "no text"}`);
}

async function timeSequential(n: number, fn: (i: number) => Promise<void>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await fn(i);
    samples.push(now() - t);
  }
  return summarize(samples);
}

export async function measureGuarded(opts: {
  cli: string;
  apiUrl: string;
  ids: readonly string[];
  calls: number;
  inFlight: number;
  /** An empty PostgreSQL database for the two instances (default: a server started for this section). */
  databaseUrl?: string;
}): Promise<GuardedResult> {
  const { cli, apiUrl, calls, inFlight } = opts;
  const dirs: Array<ReturnType<typeof tempStateDir>> = [];
  const servers: RpcChild[] = [];
  const start = async (env: Record<string, string>) => {
    const dir = tempStateDir();
    dirs.push(dir);
    const spec = ourServer(cli, apiUrl, dir.dir);
    const server = new RpcChild({ ...spec, env: { ...spec.env, ...GUARDED_ENV, ...env } });
    servers.push(server);
    await withTimeout(server.handshake(), 15_000, "server handshake");
    return server;
  };
  let order = 0;
  const withdraw = (server: RpcChild) =>
    call(server, "create_withdrawal", {
      amountInCents: 100,
      chainId: "base-sepolia",
      recipientAddress: RECIPIENT,
      orderId: `bench-${process.pid}-${++order}`,
    });
  const pg = opts.databaseUrl ? undefined : await startPostgres();
  try {
    const single = await start({});
    const readOne = (i: number) => call(single, "get_payment", { paymentId: opts.ids[i % opts.ids.length] });
    // Warm-up: the first money call opens the state store; neither figure should include it.
    await readOne(0);
    await withdraw(single);
    const readLatency = await timeSequential(calls, readOne);
    const readPerSec = (calls / (await runConcurrently(calls, inFlight, readOne))) * 1000;

    const measure = async (instances: RpcChild[]): Promise<GuardedBackendResult> => {
      for (const s of instances) await withdraw(s);
      const pick = (i: number) => instances[i % instances.length] as RpcChild;
      const latency = await timeSequential(calls, (i) => withdraw(pick(i)));
      const perSec = (calls / (await runConcurrently(calls, inFlight, (i) => withdraw(pick(i))))) * 1000;
      return {
        instances: instances.length,
        latency,
        perSec: round(perSec, 1),
        p50OverRead: round(latency.p50 / readLatency.p50, 2),
        p99OverRead: round(latency.p99 / readLatency.p99, 2),
        rateOverRead: round(perSec / readPerSec, 3),
      };
    };
    const sqlite = await measure([single]);
    const databaseUrl = opts.databaseUrl ?? (await pg!.freshDatabase());
    // Both instances seal with the same key, as a deployment must.
    const stateKey = randomBytes(32).toString("hex");
    const pair = await Promise.all([
      start({ SPACEPAY_DATABASE_URL: databaseUrl, SPACEPAY_STATE_KEY: stateKey }),
      start({ SPACEPAY_DATABASE_URL: databaseUrl, SPACEPAY_STATE_KEY: stateKey }),
    ]);
    const postgres = await measure(pair);
    return {
      calls,
      inFlight,
      read: { latency: readLatency, perSec: round(readPerSec, 1) },
      sqlite,
      postgres,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of dirs) d.remove();
    await pg?.stop();
  }
}
