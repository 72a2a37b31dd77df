// Demo mode as a one-shot client uses it (the Inspector CLI starts a server process per call): from a
// fresh state directory, a confirmation token from one process is accepted by the next, and the
// payment it created is still there for the process after that.
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { connectStdio, demoEnv } from "./helpers.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

let stateDir: string;
it.beforeAll(({ fileDir }) => {
  requireBuild();
  stateDir = fileDir;
});

type Result = CallToolResult & { structuredContent?: Record<string, any> };

/** One call in its own server process, as a one-shot client makes it. */
async function callOnce(name: string, args: Record<string, unknown>): Promise<Result> {
  const { client } = await connectStdio(process.execPath, [CLI], demoEnv(stateDir));
  try {
    return (await client.callTool({ name, arguments: args })) as Result;
  } finally {
    await client.close();
  }
}

describe("demo mode with one process per call", () => {
  it("round-trips a confirmation token and keeps the payment it created", async () => {
    const args = { amountInCents: 4200, orderId: "one-shot-1" };
    const first = await callOnce("create_payment", args);
    expect(first.structuredContent?.status).toBe("confirmation_required");
    const token = first.structuredContent?.confirmationToken;
    expect(token).toEqual(expect.any(String));

    const second = await callOnce("create_payment", { ...args, confirmationToken: token });
    expect(second.isError, JSON.stringify(second.content)).toBeFalsy();
    expect(second.structuredContent?.status).toBe("done");
    const id = second.structuredContent?.payment?.id;
    expect(id).toEqual(expect.any(String));

    // A third process sees the same simulated world and the payment secret the second one kept.
    const got = await callOnce("get_payment", { paymentId: id });
    expect(got.structuredContent?.payment?.orderId).toBe("one-shot-1");
    const quote = await callOnce("create_quote", { paymentId: id, token: "USDC", chainId: "base-sepolia" });
    expect(quote.isError, JSON.stringify(quote.content)).toBeFalsy();

    // And a new payment gets a new id, not the first one's again.
    const other = await callOnce("create_payment", { amountInCents: 4300, orderId: "one-shot-2" });
    const again = await callOnce("create_payment", {
      amountInCents: 4300,
      orderId: "one-shot-2",
      confirmationToken: other.structuredContent?.confirmationToken,
    });
    expect(again.structuredContent?.payment?.id).not.toBe(id);
  }, 60_000);

  it("keeps a payment link working after a restart on the same state", async () => {
    const args = { amountInCents: 4400, orderId: "link-after-restart" };
    const first = await callOnce("create_payment", args);
    const created = await callOnce("create_payment", {
      ...args,
      confirmationToken: first.structuredContent?.confirmationToken,
    });
    const link = created.structuredContent?.paymentUrl as string;
    const id = created.structuredContent?.payment?.id as string;
    expect(link).toContain(`/pay/${id}`);

    // That process has exited; the next one, on the same state, still answers the link it handed out.
    const { client } = await connectStdio(process.execPath, [CLI], demoEnv(stateDir));
    try {
      const got = (await client.callTool({ name: "get_payment", arguments: { paymentId: id } })) as Result;
      expect(got.structuredContent?.payment?.orderId).toBe("link-after-restart");
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(id);
    } finally {
      await client.close();
    }
  }, 60_000);

  it("answers get_withdrawal_config with no keys: demo mode sets the simulator's bearer token and merchant", async () => {
    const res = await callOnce("get_withdrawal_config", {});
    expect(res.isError, JSON.stringify(res.content)).toBeFalsy();
    expect(res.structuredContent?.backendWallet).toBe("0x5a1e5a1e000000000000000000000000000000b0");
  }, 20_000);
});
