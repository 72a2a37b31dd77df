// `spacepay-mcp simulator`: parses flags, starts the simulator and reports where it listens and which
// credentials it accepts through `out` (the lead's src/cli.ts prints them).
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from "./server.js";

export const SIMULATOR_USAGE = [
  "Usage: spacepay-mcp simulator [options]",
  "  --port N              port on 127.0.0.1 (default: a free port)",
  "  --seed N              seed for ids, sample data and fault probabilities (default 1)",
  "  --key K               merchant secret key to accept (default sk_test_simulator)",
  "  --bearer T            bearer token for the withdrawal-config route (default simulator_bearer_token)",
  "  --merchant-id U       merchant id (default 5a1e5a1e-0000-4000-8000-000000000001)",
  "  --samples N           seed N sample payments at start",
  "  --expiry-minutes N    minutes before a pending payment expires (default 60)",
  "  --processing-ms N     delay from processing to the final status (default 300)",
  "  --now ISO             where the simulator clock starts",
  "  --webhook-url URL     POST signed webhooks for every payment and withdrawal change here",
  "  --webhook-secret S    the secret they are signed with (required with --webhook-url)",
];

type Flag =
  | "port"
  | "seed"
  | "key"
  | "bearer"
  | "merchant-id"
  | "samples"
  | "expiry-minutes"
  | "processing-ms"
  | "now"
  | "webhook-url"
  | "webhook-secret";
const FLAGS: readonly Flag[] = [
  "port",
  "seed",
  "key",
  "bearer",
  "merchant-id",
  "samples",
  "expiry-minutes",
  "processing-ms",
  "now",
  "webhook-url",
  "webhook-secret",
];

/** Parses `--flag value` and `--flag=value`; throws with the usage on anything unknown or malformed. */
export function parseSimulatorArgs(argv: string[]): SimulatorOptions {
  const values = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[1] as Flag | undefined;
    if (!m || !name || !FLAGS.includes(name)) throw usageError(`unknown argument: ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === "") throw usageError(`--${name} needs a value`);
    values.set(name, value);
  }
  const int = (flag: Flag, min: number, max: number): number | undefined => {
    const raw = values.get(flag);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw usageError(`--${flag} must be an integer from ${min} to ${max}, got ${raw}`);
    }
    return Number(raw);
  };
  const webhookUrl = values.get("webhook-url");
  const webhookSecret = values.get("webhook-secret");
  if ((webhookUrl === undefined) !== (webhookSecret === undefined))
    throw usageError("--webhook-url and --webhook-secret go together");
  if (webhookUrl !== undefined && !/^https?:\/\/\S+$/.test(webhookUrl))
    throw usageError(`--webhook-url must be an http(s) URL, got ${webhookUrl}`);
  const now = values.get("now");
  if (now !== undefined && Number.isNaN(Date.parse(now)))
    throw usageError(`--now must be an ISO date, got ${now}`);
  return {
    port: int("port", 0, 65_535),
    seed: int("seed", 0, 2 ** 32 - 1),
    secretKey: values.get("key"),
    bearerToken: values.get("bearer"),
    merchantId: values.get("merchant-id"),
    samplePayments: int("samples", 0, 1_000_000),
    expiryMinutes: int("expiry-minutes", 1, 525_600),
    processingMs: int("processing-ms", 0, 600_000),
    now,
    webhooks: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
  };
}

function usageError(message: string): Error {
  return new Error(`${message}\n${SIMULATOR_USAGE.join("\n")}`);
}

export async function runSimulatorCli(argv: string[], out: (line: string) => void): Promise<SimulatorHandle> {
  const options = parseSimulatorArgs(argv);
  const sim = await startSimulator(options);
  const info = sim.control.info();
  out(`SpacePay simulator listening on ${sim.url}`);
  out(`  merchant secret key (X-SpacePay-Secret-Key): ${info.secretKey}`);
  out(`  bearer token (Authorization: Bearer …):      ${info.bearerToken}`);
  out(`  merchant id:                                  ${info.merchantId}`);
  out(`  control API:                                  ${sim.url}/__simulator/ (no credential)`);
  if (options.webhooks)
    out(`  webhooks:                                     signed, to ${options.webhooks.url}`);
  return sim;
}
