// Issue 23 item 3: the upstream request budget. Whatever clients do (churn listen streams, fan
// wait_for_payment out over many payments), the background and watch requests SpacePay receives stay
// within SPACEPAY_API_BUDGET_PER_SECOND, counted at the simulator; a 429 pauses the budget for its
// Retry-After and slows it; money calls never wait behind it; and each caller may hold only so many
// watches, past which it is told so.
import { setMaxListeners } from "node:events";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { serveHarness } from "../helpers/http-harness.js";
import { PAYMENTS_PATH, startHarness, textOf, type Harness } from "../helpers/mcp-harness.js";
import {
  httpClient2026,
  rawHttp,
  rawHttpBody,
  rawStdio,
  builtServerEnv,
  withEnvelope,
} from "../helpers/mcp2026.js";
import { createOAuthGate } from "../../src/http/oauth.js";
import { SCOPE_POLICY } from "../../src/server/select-tools.js";
import { startTestIssuer } from "../helpers/test-issuer.js";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { startSimulator } from "../../src/simulator/index.js";

const BUDGET = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(10);
}

let sim: SimulatorHandle;
const harnesses: Harness[] = [];
const servers: RunningHttp[] = [];

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 0 });
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const h of harnesses.splice(0)) await h.close();
  sim.control.clearFaults();
});
afterAll(async () => {
  await sim?.close();
});

/** A runtime polling every 30 ms (far above the budget) on the shared simulator. */
async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const h = await startHarness({
    sharedSim: sim,
    env: { SPACEPAY_API_BUDGET_PER_SECOND: String(BUDGET), ...env },
  });
  harnesses.push(h);
  return h;
}

async function pendingPayments(h: Harness, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await h.call("create_payment", { amountInCents: 1_000, orderId: `${tag}-${i}` });
    ids.push(res.structuredContent.payment.id);
  }
  return ids;
}

/** API requests the simulator has received so far (every route, every method). */
const received = () => sim.control.counts().requests;

/**
 * Requests SpacePay receives over the next `ms`: they must stay within the budget (its rate over the
 * window, plus one second's burst).
 */
async function expectWithinBudget(ms: number, budget = BUDGET): Promise<number> {
  const before = received();
  const started = performance.now();
  await sleep(ms);
  const seconds = (performance.now() - started) / 1000;
  const count = received() - before;
  expect(count).toBeLessThanOrEqual(Math.ceil(budget * seconds + budget));
  return count;
}

/** One raw 2026-07-28 subscriptions/listen over HTTP, dropped after `holdMs`. */
async function listenAndDrop(url: string, uris: string[], holdMs: number): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), holdMs);
  try {
    await rawHttpBody(
      url,
      {
        jsonrpc: "2.0",
        id: 1,
        method: "subscriptions/listen",
        params: withEnvelope({ notifications: { resourceSubscriptions: uris } }),
      },
      { "mcp-method": "subscriptions/listen" },
      ac.signal,
    );
  } catch {
    // Dropped by us: that is the churn.
  } finally {
    clearTimeout(timer);
  }
}

describe("upstream GET/s stays within the budget", () => {
  it("under listen-stream churn", async () => {
    const h = await harness();
    const http = await serveHarness(h);
    servers.push(http);
    // Four clients, each churning streams over ten payments of its own (40 watches, within the limit).
    const ids = await pendingPayments(h, 40, "churn");
    let churning = true;
    let opened = 0;
    const churner = async (n: number) => {
      const uris = ids.slice(n * 10, n * 10 + 10).map((id) => `spacepay://payments/${id}`);
      for (let i = 0; churning; i++) {
        opened++;
        await listenAndDrop(http.url, uris, 50 + ((n * 31 + i * 17) % 200));
      }
    };
    const churners = Array.from({ length: 4 }, (_, n) => churner(n));
    try {
      const count = await expectWithinBudget(3_000);
      // The churn was real: many streams opened (and each would have looked up 10 payments).
      expect(opened).toBeGreaterThan(40);
      expect(count).toBeGreaterThan(0);
    } finally {
      churning = false;
      await Promise.all(churners);
    }
  }, 30_000);

  it("under wait_for_payment fan-out over 30 payments", async () => {
    const h = await harness();
    const ids = await pendingPayments(h, 30, "fanout");
    const stop = new AbortController();
    setMaxListeners(ids.length + 1, stop.signal);
    const waits = ids.map((paymentId) =>
      h.client
        .callTool({ name: "wait_for_payment", arguments: { paymentId, timeoutSeconds: 60 } }, undefined, {
          signal: stop.signal,
          timeout: 60_000,
        })
        .catch(() => null),
    );
    try {
      // Each wait's own first look-up is interactive; what follows is the shared poll loops.
      await until(() => h.runtime.watcher.active() === ids.length, 10_000);
      expect(h.runtime.watcher.active()).toBe(ids.length);
      await expectWithinBudget(3_000);
      expect(h.runtime.budget.stats().waiting).toBeGreaterThan(0);
    } finally {
      stop.abort();
      await Promise.all(waits);
    }
  }, 30_000);
});

describe("a 429 from SpacePay", () => {
  it("pauses the budget for its Retry-After, then halves it", async () => {
    const budget = 20;
    const h = await harness({ SPACEPAY_API_BUDGET_PER_SECOND: String(budget) });
    const ids = await pendingPayments(h, 10, "throttled");
    const leave = new AbortController();
    for (const id of ids) h.runtime.watcher.watch(id, { onStatus: () => {} }, leave.signal);
    try {
      await sleep(300);
      sim.control.addFault({
        kind: "error",
        status: 429,
        retryAfter: 1,
        method: "GET",
        path: `${PAYMENTS_PATH}/**`,
        count: 1,
      });
      await until(() => h.runtime.budget.stats().throttled > 0, 5_000);
      expect(h.runtime.budget.stats().throttled).toBe(1);
      // Whatever was already on its way lands; then nothing for the rest of the second.
      await sleep(100);
      const paused = received();
      await sleep(700);
      expect(received()).toBe(paused);
      await sleep(300);
      // After the pause, at half the rate (recovering slowly): well under the budget it had.
      await expectWithinBudget(2_000, budget / 2 + 1);
      expect(h.runtime.budget.stats().ratePerSecond).toBeLessThan(budget);
    } finally {
      leave.abort();
    }
  }, 30_000);

  it("does not hold up a money call, nor an interactive read, while the budget waits", async () => {
    const h = await harness();
    const ids = await pendingPayments(h, 3, "drained");
    const leave = new AbortController();
    sim.control.addFault({
      kind: "error",
      status: 429,
      retryAfter: 120,
      method: "GET",
      path: `${PAYMENTS_PATH}/**`,
      count: 1,
    });
    for (const id of ids) h.runtime.watcher.watch(id, { onStatus: () => {} }, leave.signal);
    try {
      await until(() => h.runtime.budget.stats().waiting > 0, 5_000);
      const drained = h.runtime.budget.stats();
      expect(drained.throttled).toBe(1);
      expect(drained.waiting).toBeGreaterThan(0);
      // Two minutes of pause ahead; the test's own timeout is far shorter.
      const created = await h.call("create_payment", { amountInCents: 2_500, orderId: "not-delayed" });
      expect(created.isError).toBeFalsy();
      const id = created.structuredContent.payment.id as string;
      expect(sim.control.getPayment(id)).toBeDefined();
      const read = await h.call("get_payment", { paymentId: id });
      expect(read.isError).toBeFalsy();
      const after = h.runtime.budget.stats();
      expect(after.pausedMs).toBeGreaterThan(60_000);
      expect(after.waiting).toBeGreaterThan(0);
    } finally {
      leave.abort();
    }
  }, 20_000);
});

describe("watches per caller", () => {
  it("refuses a wait or a listen past SPACEPAY_MAX_WATCHES_PER_CALLER, naming it, and frees room when one ends", async () => {
    const h = await harness({ SPACEPAY_MAX_WATCHES_PER_CALLER: "3" });
    const http = await serveHarness(h);
    servers.push(http);
    const [a, b, c, d] = await pendingPayments(h, 4, "quota");
    const stop = new AbortController();
    const wait = (paymentId: string, timeoutSeconds = 60) =>
      h.client.callTool({ name: "wait_for_payment", arguments: { paymentId, timeoutSeconds } }, undefined, {
        signal: stop.signal,
        timeout: 60_000,
      });
    const waits = [wait(a!).catch(() => null), wait(b!).catch(() => null)];
    const listener = await httpClient2026(http.url);
    try {
      await until(() => h.runtime.watcher.active() === 2, 5_000);
      const sub = await listener.listen({ resourceSubscriptions: [`spacepay://payments/${c}`] });
      // A second wait on a payment already watched is no new watch.
      const again = (await wait(a!, 1)) as { isError?: boolean; structuredContent?: any };
      expect(again.isError).toBeFalsy();
      expect(again.structuredContent.timedOut).toBe(true);

      const before = sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${d}` }).length;
      const refused = await h.call("wait_for_payment", { paymentId: d, timeoutSeconds: 5 });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/already watches 3 payments/);
      expect(textOf(refused)).toMatch(/SPACEPAY_MAX_WATCHES_PER_CALLER/);
      const listen = await rawHttp(http.url, "subscriptions/listen", {
        notifications: { resourceSubscriptions: [`spacepay://payments/${d}`] },
      });
      expect(listen.body.error.code).toBe(-32602);
      expect(listen.body.error.message).toMatch(
        /already watches 3 payments.*SPACEPAY_MAX_WATCHES_PER_CALLER/,
      );
      // Refused before anything was read.
      expect(sim.control.requests({ method: "GET", path: `${PAYMENTS_PATH}/${d}` }).length).toBe(before);

      // Closing the listen frees its payment for another watch.
      await sub.close();
      const freed = (await wait(d!, 1)) as { isError?: boolean; structuredContent?: any };
      expect(freed.isError).toBeFalsy();
      expect(freed.structuredContent.timedOut).toBe(true);
    } finally {
      stop.abort();
      await Promise.all(waits);
      await listener.close();
    }
  }, 30_000);

  it("with OAuth, each token subject has a limit of its own", async () => {
    const audience = "https://mcp.budget.example/mcp";
    const issuer = await startTestIssuer({ audience });
    try {
      const h = await harness({
        SPACEPAY_MAX_WATCHES_PER_CALLER: "1",
        SPACEPAY_MCP_HTTP: "true",
        SPACEPAY_OAUTH_ISSUER: issuer.url,
        SPACEPAY_OAUTH_AUDIENCE: audience,
      });
      const oauth = createOAuthGate({ ...h.runtime.config.oauth!, ...SCOPE_POLICY, jwksCooldownMs: 0 });
      const http = await serveHarness(h, { oauth });
      servers.push(http);
      const [x, y] = await pendingPayments(h, 2, "quota-oauth");
      const bearer = async (sub: string) => ({
        authorization: `Bearer ${await issuer.token({ sub, scope: "spacepay:read" })}`,
      });
      const ada = await httpClient2026(http.url, await bearer("ada"));
      const bob = await httpClient2026(http.url, await bearer("bob"));
      try {
        await ada.listen({ resourceSubscriptions: [`spacepay://payments/${x}`] });
        // Ada's one watch does not use up Bob's.
        await bob.listen({ resourceSubscriptions: [`spacepay://payments/${y}`] });
        const refused = await rawHttp(
          http.url,
          "subscriptions/listen",
          { notifications: { resourceSubscriptions: [`spacepay://payments/${y}`] } },
          await bearer("ada"),
        );
        expect(refused.body.error.code).toBe(-32602);
        expect(refused.body.error.message).toMatch(/already watches 1 payment, /);
      } finally {
        await ada.close();
        await bob.close();
      }
    } finally {
      await issuer.close();
    }
  }, 30_000);

  it("over stdio, a listen past the limit is answered with the refusal and watches nothing", async () => {
    const h = await harness();
    const ids = await pendingPayments(h, 2, "quota-stdio");
    const env = builtServerEnv(sim.url, { SPACEPAY_MAX_WATCHES_PER_CALLER: "1" });
    const server = rawStdio(env.env);
    try {
      const before = received();
      const refused = await server.request("subscriptions/listen", {
        notifications: { resourceSubscriptions: ids.map((id) => `spacepay://payments/${id}`) },
      });
      expect(refused.error.code).toBe(-32602);
      expect(refused.error.message).toMatch(/already watches 1 payment, .*SPACEPAY_MAX_WATCHES_PER_CALLER/);
      expect(received()).toBe(before);
      // The connection goes on: the next request is answered.
      expect((await server.request("tools/list")).result.tools.length).toBeGreaterThan(0);
    } finally {
      server.close();
      env.remove();
    }
  }, 20_000);
});
