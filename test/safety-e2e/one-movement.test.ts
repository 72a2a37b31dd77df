// One request, one movement (issue 21), with confirmation tokens, on both state backends (SQLite and
// embedded PostgreSQL), through the built server and an SDK v1 client: two identical calls get the same
// token, confirming sends exactly one withdrawal, an identical repeat after it is done is answered as
// replayed with nothing sent, and a new orderId is a new withdrawal (counted at the simulator).
import { randomBytes } from "node:crypto";
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { DEFAULT_SECRET_KEY } from "../../src/simulator/index.js";
import { RECIPIENT, BASE_SEPOLIA, textOf, type ToolResult } from "../helpers/mcp-harness.js";
import { spawnServer, type SpawnedServer } from "../reliability/helpers.js";
import { usePostgresAndSimulator } from "./helpers.js";

const run = usePostgresAndSimulator();

async function server(stateDir: string, database: boolean): Promise<SpawnedServer> {
  return spawnServer({
    SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
    SPACEPAY_API_URL: run.sim.url,
    SPACEPAY_STATE_DIR: stateDir,
    ...(database
      ? {
          SPACEPAY_DATABASE_URL: await run.postgres.freshDatabase(),
          SPACEPAY_STATE_KEY: randomBytes(32).toString("hex"),
        }
      : {}),
    SPACEPAY_CONFIRM: "token",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    SPACEPAY_TIMEOUT_MS: "10000",
    SPACEPAY_LOG_LEVEL: "warn",
  });
}

let seq = 0;
const args = () => ({
  amountInCents: 5_000,
  chainId: BASE_SEPOLIA,
  recipientAddress: RECIPIENT,
  orderId: `one-${process.pid}-${++seq}`,
});
const withdrawals = () => run.sim.control.counts().withdrawals;

describe.each([
  { backend: "SQLite", database: false },
  { backend: "PostgreSQL", database: true },
])("tokens on $backend", ({ database }) => {
  it("identical calls share one token and one withdrawal; a repeat is replayed; a new orderId is new", async ({
    stateDir,
  }) => {
    const s = await server(stateDir, database);
    try {
      const call = (a: Record<string, unknown>) =>
        s.client.callTool({ name: "create_withdrawal", arguments: a }) as Promise<ToolResult>;
      const ask = async (a: Record<string, unknown>) => {
        const res = await call(a);
        expect(res.structuredContent?.status, textOf(res)).toBe("confirmation_required");
        return res.structuredContent.confirmationToken as string;
      };
      const a = args();
      const before = withdrawals();
      const [t1, t2] = await Promise.all([ask(a), ask(a)]);
      expect(t2).toBe(t1);
      expect(await ask(a)).toBe(t1);

      const done = await call({ ...a, confirmationToken: t1 });
      expect(done.structuredContent?.status, textOf(done)).toBe("done");
      expect(withdrawals()).toBe(before + 1);

      for (const repeat of [{ ...a, confirmationToken: t1 }, a]) {
        const again = await call(repeat);
        expect(again.structuredContent, textOf(again)).toMatchObject({ status: "done", replayed: true });
      }
      expect(withdrawals()).toBe(before + 1);

      const b = args();
      const t3 = await ask(b);
      expect(t3).not.toBe(t1);
      const second = await call({ ...b, confirmationToken: t3 });
      expect(second.structuredContent?.status, textOf(second)).toBe("done");
      expect(withdrawals()).toBe(before + 2);
    } finally {
      await s.close();
    }
  }, 30_000);
});
