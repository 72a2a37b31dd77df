// Reliability: the server is SIGKILLed after a confirmed withdrawal reached SpacePay and was processed,
// before the answer was read. A new process on the same state directory, given the same confirmed
// call, resumes with the same idempotency key: exactly one withdrawal upstream, and the audit log
// shows the intent written before the crash and the outcome written after it.
import { afterAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";
import {
  BASE_SEPOLIA,
  WITHDRAWALS_PATH,
  textOf,
  readAudit,
  spawnOnState,
  waitFor,
  type SpawnedServer,
} from "./helpers.js";

let sim: SimulatorHandle;
let stateDir: string;
const spawned: SpawnedServer[] = [];

it.beforeAll(async ({ fileDir }) => {
  sim = await startSimulator({ processingMs: 20 });
  stateDir = fileDir;
});
afterAll(async () => {
  for (const s of spawned) await s.kill();
  await sim?.close();
});

async function start(): Promise<SpawnedServer> {
  const s = await spawnOnState(sim, stateDir, {
    SPACEPAY_CONFIRM: "token",
    // Long enough that the first process is still waiting for the answer when it is killed.
    SPACEPAY_TIMEOUT_MS: "10000",
    // The killed process's hold on the call lapses this soon, and the retry resumes it.
    SPACEPAY_CALL_LEASE_MS: "2000",
  });
  spawned.push(s);
  return s;
}

const audit = () => readAudit(stateDir);

it("SIGKILL between SpacePay processing a confirmed withdrawal and the answer: one withdrawal after the retry", async () => {
  const args = {
    amountInCents: 1_500,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
    orderId: "crash-1",
  };
  const a = await start();
  const asked = await a.call("create_withdrawal", args);
  expect(asked.structuredContent.status, textOf(asked)).toBe("confirmation_required");
  const token = asked.structuredContent.confirmationToken as string;

  // SpacePay processes the withdrawal and never answers; the server is killed while it waits.
  sim.control.addFault({ kind: "hang-after", method: "POST", path: WITHDRAWALS_PATH, count: 1 });
  const inFlight = a.call("create_withdrawal", { ...args, confirmationToken: token }).then(
    () => "answered",
    () => "connection lost",
  );
  await waitFor(() => sim.control.counts().withdrawals === 1, 10_000, "the withdrawal to exist upstream");
  await a.kill();
  expect(a.child.signalCode).toBe("SIGKILL");
  expect(await inFlight).toBe("connection lost");

  const [first] = sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH });
  const key = first!.headers["idempotency-key"];
  expect(key).toMatch(/^mcp-wd-/);
  // Before the restart, the audit holds the confirmation and the intent (with the key), and no outcome.
  const trail = () =>
    audit()
      .filter((e) => e.idempotencyKey === key)
      .map((e) => [e.event, e.outcome ?? null]);
  expect(trail()).toEqual([
    ["outcome", "confirmation_required"],
    ["intent", null],
  ]);

  // A new process on the same state; the agent repeats the confirmed call unchanged.
  sim.control.clearFaults();
  const b = await start();
  const res = await b.call("create_withdrawal", { ...args, confirmationToken: token });
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(res.structuredContent.status).toBe("done");
  expect(res.structuredContent.replayed).toBe(true);
  expect(textOf(res)).toMatch(/nothing new was (sent|created)/);

  expect(sim.control.counts().withdrawals).toBe(1);
  const posts = sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH });
  expect(posts).toHaveLength(2);
  expect(posts.map((r) => r.headers["idempotency-key"])).toEqual([key, key]);
  const withdrawalId = res.structuredContent.withdrawal.id as string;
  expect(sim.control.getWithdrawal(withdrawalId)?.amountInCents).toBe(1_500);

  // The trail: intent before the crash, intent and outcome after it, all with the one key.
  expect(trail()).toEqual([
    ["outcome", "confirmation_required"],
    ["intent", null],
    ["intent", null],
    ["outcome", "done"],
  ]);
  expect(audit().at(-1)).toMatchObject({
    event: "outcome",
    outcome: "done",
    confirmation: "token",
    idempotencyKey: key,
    ids: { withdrawalId },
    replayed: true,
  });

  // Done now: the same call replays it, and nothing is sent again.
  const again = await b.call("create_withdrawal", { ...args, confirmationToken: token });
  expect(again.structuredContent).toMatchObject({ status: "done", replayed: true });
  expect(sim.control.requests({ method: "POST", path: WITHDRAWALS_PATH })).toHaveLength(2);
  expect(sim.control.counts().withdrawals).toBe(1);
  await b.close();
}, 30_000);
