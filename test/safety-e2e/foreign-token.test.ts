// A confirmation token is bound to the place it was made (issue 21): another server sharing the same
// state (directory and key) but talking to another SpacePay API host refuses it, naming the host, and
// sends nothing (counted at both simulators).
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { withdrawal } from "./helpers.js";

let made: Harness;
let otherSim: SimulatorHandle;
let elsewhere: Harness;
beforeAll(async () => {
  made = await startHarness({ env: { SPACEPAY_CONFIRM: "token" } });
  otherSim = await startSimulator({ processingMs: 20 });
  elsewhere = await startHarness({
    sharedSim: otherSim,
    stateDir: made.stateDir,
    env: { SPACEPAY_CONFIRM: "token", SPACEPAY_API_URL: otherSim.url.replace("127.0.0.1", "localhost") },
  });
});
afterAll(async () => {
  await elsewhere?.close();
  await otherSim?.close();
  await made?.close();
});

const structured = (res: unknown) => (res as { structuredContent: Record<string, any> }).structuredContent;

it("a token made for one API host is refused by a server on another, naming the host; nothing is sent", async () => {
  const args = withdrawal();
  const token = structured(await made.call("create_withdrawal", args)).confirmationToken as string;
  expect(token).toMatch(/^cfm_/);
  const refused = structured(
    await elsewhere.call("create_withdrawal", { ...args, confirmationToken: token }),
  );
  expect(refused).toMatchObject({ status: "refused", rule: "confirmationToken" });
  expect(refused.message).toMatch(/made for the SpacePay API at .*, and this server uses /);
  expect(refused.message).toMatch(/Nothing was sent/);
  expect(otherSim.control.counts().withdrawals).toBe(0);
  expect(made.sim.control.counts().withdrawals).toBe(0);
  // Where it was made, it still confirms exactly one.
  const done = structured(await made.call("create_withdrawal", { ...args, confirmationToken: token }));
  expect(done.status).toBe("done");
  expect(made.sim.control.counts().withdrawals).toBe(1);
}, 30_000);

it("a token made under one merchant key is refused by a server with another key on the same state; nothing is sent", async () => {
  // Same state directory and state key, same API host; only the merchant key differs (its fingerprint,
  // never the key, is in the token's place).
  const otherKey = await startHarness({
    sharedSim: made.sim,
    stateDir: made.stateDir,
    env: { SPACEPAY_CONFIRM: "token", SPACEPAY_SECRET_KEY: "sk_test_another_merchant_key" },
  });
  try {
    const args = withdrawal();
    const token = structured(await made.call("create_withdrawal", args)).confirmationToken as string;
    const before = made.sim.control.counts().withdrawals;
    const refused = structured(
      await otherKey.call("create_withdrawal", { ...args, confirmationToken: token }),
    );
    expect(refused).toMatchObject({ status: "refused", rule: "confirmationToken" });
    expect(refused.message).toMatch(/merchant key/);
    expect(refused.message).not.toContain("sk_test_");
    expect(made.sim.control.counts().withdrawals).toBe(before);
  } finally {
    await otherKey.close();
  }
}, 30_000);
