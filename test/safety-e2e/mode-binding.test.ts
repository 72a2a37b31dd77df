// A requestState is bound to the mode it was made in (issue 21): one sealed by a demo-mode server (the
// person was told "DEMO: no real money") is refused by a test-mode server that shares its state (the
// same SQLite file and state key), naming both modes, with nothing at all sent to its SpacePay; on the
// demo server that made it, the same state still confirms. Both are the built server over stdio,
// spoken to as a 2026-07-28 client that declares elicitation.
import path from "node:path";
import { afterAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";
import { rawStdio } from "../helpers/mcp2026.js";
import { withdrawal } from "./helpers.js";
import { requireBuild } from "../helpers/built-cli.js";

const ELICIT = { elicitation: { form: {} } };
const ACCEPT = { action: "accept", content: { confirm: true } };

let sim: SimulatorHandle;
let dir: string;
const servers: Array<ReturnType<typeof rawStdio>> = [];

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  sim = await startSimulator({ processingMs: 20 });
  dir = fileDir;
});
afterAll(async () => {
  for (const s of servers) s.close();
  await sim?.close();
});

function server(env: Record<string, string>) {
  const s = rawStdio({ SPACEPAY_CONFIRM: "auto", SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT, ...env });
  servers.push(s);
  return {
    call: (params: Record<string, unknown>) => s.request("tools/call", params, ELICIT),
  };
}

it("a demo-sealed requestState is refused by a test-mode server sharing its state, naming the modes; nothing is sent", async () => {
  // No key: demo mode, whose state lives in <dir>/demo (its SQLite file and generated state.key).
  const demo = server({ SPACEPAY_STATE_DIR: dir });
  // A test-mode server on that very state: same store, same key.
  const test = server({
    SPACEPAY_SECRET_KEY: "sk_test_simulator",
    SPACEPAY_API_URL: sim.url,
    SPACEPAY_STATE_DIR: path.join(dir, "demo"),
  });

  const args = withdrawal();
  const asked = await demo.call({ name: "create_withdrawal", arguments: args });
  expect(asked.result?.resultType, JSON.stringify(asked)).toBe("input_required");
  expect(asked.result.inputRequests.confirm.params.message).toMatch(/DEMO mode: simulated, no real money/);
  const requestState = asked.result.requestState as string;

  const answered = { name: "create_withdrawal", arguments: args, inputResponses: { confirm: ACCEPT } };
  const refused = await test.call({ ...answered, requestState });
  expect(refused.result?.isError, JSON.stringify(refused)).toBe(true);
  expect(refused.result.structuredContent).toMatchObject({ status: "refused", rule: "requestState" });
  expect(refused.result.structuredContent.message).toMatch(
    /made by a server in demo mode, and this one runs in test mode/,
  );
  expect(refused.result.structuredContent.message).toMatch(/Nothing was sent/);
  expect(sim.control.counts()).toMatchObject({ requests: 0, withdrawals: 0 });

  // Where it was made, the same state still confirms the withdrawal.
  const done = await demo.call({ ...answered, requestState });
  expect(done.result?.structuredContent, JSON.stringify(done)).toMatchObject({
    status: "done",
    mode: "demo",
    confirmation: { by: "input_required" },
  });
  expect(sim.control.counts()).toMatchObject({ requests: 0, withdrawals: 0 });
}, 30_000);
