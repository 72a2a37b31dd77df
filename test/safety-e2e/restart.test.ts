// The guard end to end: durable state survives a restart. Server B, started on server A's state
// directory after A stopped, knows A's payment secrets, tokens and withdrawals.
import { expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { type Harness, textOf, type ToolResult } from "../helpers/mcp-harness.js";
import { reachesNothing, uniqueOrder, withdrawal, useSharedSimulator } from "./helpers.js";

const e2e = useSharedSimulator({ freshStateDir: true });
/** A server on this test's state directory (or `dir`), as a restart would start it. */
const server = (env: Record<string, string> = {}, dir: string = e2e.stateDir) =>
  e2e.open({ stateDir: dir, env });
const stop = (h: Harness) => e2e.stop(h);

it("a payment created before the restart can be quoted after it without its paymentSecret", async ({
  tempDir,
}) => {
  const a = await server();
  const created: ToolResult = await a.call("create_payment", {
    amountInCents: 2_500,
    orderId: uniqueOrder("rs"),
  });
  const paymentId = created.structuredContent.payment.id as string;
  await stop(a);

  const b = await server();
  const quote: ToolResult = await b.call("create_quote", {
    paymentId,
    token: "USDC",
    chainId: "base-sepolia",
  });
  expect(quote.isError, textOf(quote)).toBeFalsy();
  expect(quote.structuredContent.quote.token).toBe("USDC");
  // The secret travelled in the header, from B's store.
  const sent = e2e.sim.control.requests({ method: "POST", path: `**/${paymentId}/**` }).at(-1)!;
  expect(sent.headers["x-spacepay-payment-secret"]).toBeDefined();

  // Control: a server on another state directory does not know it.
  const c = await server({}, tempDir());
  const res: ToolResult = await c.call("create_quote", { paymentId });
  expect(res.isError).toBe(true);
  expect(textOf(res)).toMatch(/paymentSecret/);
  await stop(c);
});

it("a used confirmation token replays its done call across the restart; an unused one still works", async () => {
  const env = { SPACEPAY_CONFIRM: "token" };
  const a = await server(env);
  const usedArgs = withdrawal({ amountInCents: 1_500 });
  const ask: ToolResult = await a.call("create_withdrawal", usedArgs);
  const used = { ...usedArgs, confirmationToken: ask.structuredContent.confirmationToken as string };
  const done: ToolResult = await a.call("create_withdrawal", used);
  expect(done.structuredContent?.status, textOf(done)).toBe("done");
  const pendingArgs = withdrawal({ amountInCents: 1_600 });
  const pendingAsk: ToolResult = await a.call("create_withdrawal", pendingArgs);
  const pending = {
    ...pendingArgs,
    confirmationToken: pendingAsk.structuredContent.confirmationToken as string,
  };
  await stop(a);

  const b = await server(env);
  const before = e2e.sim.control.counts().withdrawals;
  const reuse: ToolResult = await reachesNothing(e2e.sim, () => b.call("create_withdrawal", used));
  // Done before the restart: the same call replays it after, and sends nothing.
  expect(reuse.structuredContent).toMatchObject({ status: "done", replayed: true });
  expect(reuse.structuredContent.withdrawal.id).toBe(done.structuredContent.withdrawal.id);

  const later: ToolResult = await b.call("create_withdrawal", pending);
  expect(later.isError, textOf(later)).toBeFalsy();
  expect(later.structuredContent.withdrawal.amountInCents).toBe(1_600);
  expect(e2e.sim.control.counts().withdrawals).toBe(before + 1);
});

it("the rolling limit remembers withdrawals made before the restart", async () => {
  const env = { SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS: "15000" };
  const a = await server(env);
  const first: ToolResult = await a.call("create_withdrawal", withdrawal({ amountInCents: 10_000 }));
  expect(first.isError, textOf(first)).toBeFalsy();
  await stop(a);

  const b = await server(env);
  const res: ToolResult = await reachesNothing(e2e.sim, () =>
    b.call("create_withdrawal", withdrawal({ amountInCents: 10_000 })),
  );
  expect(res.isError).toBe(true);
  expect(textOf(res)).toContain("SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS=15000");
  expect(textOf(res)).toMatch(/\$100\.00 already withdrawn/);
});
