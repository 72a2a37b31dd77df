// Two identical withdrawal calls on the prompt channels give one confirmation and one withdrawal
// (issue 21), through the built server over stdio on SQLite: with elicitation (a 2025 SDK v1 client)
// the repeat waits while the first call's prompt is open and is then the same call, replayed, never a
// second prompt; with input_required (a 2026-07-28 SDK v2 client) the repeat is handed the same pending
// prompt and requestState, never a second confirmation. Each call is followed by a different withdrawal
// whose prompt arriving shows the server has read the repeat (no sleeps).
import type { ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { DEFAULT_SECRET_KEY, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT, type ToolResult } from "../helpers/mcp-harness.js";
import { stdioClient2026 } from "../helpers/mcp2026.js";
import { spawnOnState, waitFor } from "../reliability/helpers.js";
import { CAN_ELICIT, scriptElicitation, withdrawal } from "./helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

const ENV = { SPACEPAY_CONFIRM: "auto", SPACEPAY_TIMEOUT_MS: "10000", SPACEPAY_LOG_LEVEL: "warn" };
const ACCEPT: ElicitResult = { action: "accept", content: { confirm: true } };
const DECLINE: ElicitResult = { action: "decline" };
/** The withdrawal asked twice ($50.00), and the different one that follows it ($61.00). */
const SAME = /Withdraw \$50\.00 /;
const OTHER = /Withdraw \$61\.00 /;

let sim: SimulatorHandle;
/** The running test's servers, stopped after it (before its state directory goes). */
const servers: Array<{ close(): Promise<unknown> }> = [];
beforeAll(async () => {
  requireBuild();
  sim = await startSimulator({ processingMs: 20 });
});
afterAll(() => sim?.close());
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Prompts as they arrive, each answered only when the test says (or at once, after `answerAll`). */
function heldPrompts() {
  const open: Array<{ message: string; answer: (r: ElicitResult) => void }> = [];
  const messages: string[] = [];
  let auto: ((message: string) => ElicitResult) | null = null;
  return {
    messages,
    ask(message: string): Promise<ElicitResult> {
      messages.push(message);
      if (auto) return Promise.resolve(auto(message));
      return new Promise((answer) => open.push({ message, answer }));
    },
    /** Answers the open prompts and every later one with `by(message)`. */
    answerAll(by: (message: string) => ElicitResult) {
      auto = by;
      for (const p of open.splice(0)) p.answer(by(p.message));
    },
  };
}

const count = (messages: string[], re: RegExp) => messages.filter((m) => re.test(m)).length;

it("elicitation (2025, SDK v1): an identical repeat waits for the open prompt, then replays; one prompt, one withdrawal", async ({
  stateDir,
}) => {
  const s = await spawnOnState(sim, stateDir, ENV, CAN_ELICIT);
  servers.push(s);
  const prompts = heldPrompts();
  scriptElicitation(s.client, (params) => prompts.ask(params.message));
  const call = (args: Record<string, unknown>) =>
    s.client.callTool({ name: "create_withdrawal", arguments: args }, undefined, {
      timeout: 30_000,
    }) as Promise<ToolResult>;
  const before = sim.control.counts().withdrawals;

  const args = withdrawal({ amountInCents: 5_000 });
  const calls = [call(args), call(args), call(withdrawal({ amountInCents: 6_100 }))];
  // The other withdrawal's prompt: the server has read the repeat, which asks nothing while one is open.
  await waitFor(() => count(prompts.messages, OTHER) === 1, 10_000, "the other withdrawal's prompt");
  expect(count(prompts.messages, SAME)).toBe(1);

  prompts.answerAll((m) => (SAME.test(m) ? ACCEPT : DECLINE));
  const [first, repeat, other] = await Promise.all(calls);
  expect(first!.structuredContent).toMatchObject({ status: "done", confirmation: { by: "elicitation" } });
  expect(repeat!.structuredContent).toMatchObject({ status: "done", replayed: true });
  expect(repeat!.structuredContent.withdrawal.id).toBe(first!.structuredContent.withdrawal.id);
  expect(other!.structuredContent.status).toBe("declined");
  expect(count(prompts.messages, SAME)).toBe(1);
  expect(sim.control.counts().withdrawals).toBe(before + 1);
}, 30_000);

it("input_required (2026-07-28, SDK v2): an identical repeat is handed the same prompt and requestState; one withdrawal", async ({
  stateDir,
}) => {
  const c = await stdioClient2026(
    {
      SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_STATE_DIR: stateDir,
      SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
      ...ENV,
    },
    { elicitation: { form: {} } },
  );
  servers.push(c);
  const prompts = heldPrompts();
  c.client.setRequestHandler("elicitation/create", (req) =>
    prompts.ask((req.params as { message: string }).message),
  );
  const call = (args: Record<string, unknown>) =>
    c.client.callTool({ name: "create_withdrawal", arguments: args }, { timeout: 30_000 });
  const before = sim.control.counts().withdrawals;

  const args = withdrawal({ amountInCents: 5_000 });
  const calls = [call(args), call(args), call(withdrawal({ amountInCents: 6_100 }))];
  // Each call's input_required reaches the client (its SDK asks for each); the repeat's is the same one.
  await waitFor(
    () => count(prompts.messages, OTHER) === 1 && count(prompts.messages, SAME) === 2,
    10_000,
    "the three calls' prompts",
  );
  prompts.answerAll((m) => (SAME.test(m) ? ACCEPT : DECLINE));
  const [first, repeat, other] = (await Promise.all(calls)) as Array<{ structuredContent: any }>;

  // The retries the client made with the person's answer: both carry the one requestState.
  const retried = c.sent
    .filter((m) => m.method === "tools/call" && m.params?.requestState !== undefined)
    .filter((m) => m.params.arguments.orderId === args.orderId);
  expect(retried).toHaveLength(2);
  expect(retried[1]!.params.requestState).toBe(retried[0]!.params.requestState);

  expect([first!.structuredContent.status, repeat!.structuredContent.status]).toEqual(["done", "done"]);
  expect(repeat!.structuredContent.withdrawal.id).toBe(first!.structuredContent.withdrawal.id);
  expect(other!.structuredContent.status).toBe("declined");
  expect(sim.control.counts().withdrawals).toBe(before + 1);

  // One confirmation was asked for that call, and it was sent once.
  const read = await c.client.readResource({ uri: "spacepay://audit/recent" });
  const mine = (JSON.parse((read.contents[0] as { text: string }).text) as Array<Record<string, any>>).filter(
    (e) => e.args?.summary?.orderId === args.orderId,
  );
  expect(mine.filter((e) => e.outcome === "confirmation_required")).toHaveLength(1);
  expect(mine.filter((e) => e.outcome === "done" && !e.replayed)).toHaveLength(1);
}, 30_000);
