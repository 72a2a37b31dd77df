// Reliability: every fault the simulator injects, against get_payment, list_payments, create_payment and
// create_withdrawal. Each call ends within its timeout plus retry budget, with a result or an isError
// that says what happened and what to do; a GET recovers from a fault that clears within the retry
// budget; a create never makes a second upstream object; and the server answers the next call.
import { describe, expect, it } from "vitest";
import type { FaultSpec } from "../../src/simulator/index.js";
import { startHarness, RECIPIENT, type Harness } from "../helpers/mcp-harness.js";
import {
  BASE_SEPOLIA,
  PAYMENTS_PATH,
  WITHDRAWALS_PATH,
  textOf,
  type ToolResult,
  uniqueOrder,
} from "./helpers.js";

// Long enough that an unfaulted attempt never times out on a busy 2-core machine.
const TIMEOUT_MS = 1_000;
const MAX_RETRIES = 2;
const ENV = { SPACEPAY_TIMEOUT_MS: String(TIMEOUT_MS), SPACEPAY_MAX_RETRIES: String(MAX_RETRIES) };
/** Backoff before retries 1 and 2 is at most 500 + 1000 ms (src/spacepay/retry.ts). */
const MAX_BACKOFF_TOTAL_MS = 1_500;
/** Scheduling headroom: these tests run concurrently on a 2-core machine. */
const SLACK_MS = 3_000;
const LATENCY_MS = 1_500;

interface FaultCase {
  name: string;
  spec: Omit<FaultSpec, "method" | "path" | "count">;
  /** What the isError text must say happened. */
  says: RegExp;
  /** Seconds each Retry-After asks for. */
  retryAfterS?: number;
}

/** Every fault here is one the client retries, so a GET outlives a one-off occurrence. */
const FAULTS: FaultCase[] = [
  {
    name: "latency past the timeout",
    spec: { kind: "latency", latencyMs: LATENCY_MS },

    // A create's retry can find the first attempt still being processed upstream (a 409).
    says: /TimeoutError|did not answer in time|idempotency_key_in_use/,
  },
  { name: "500", spec: { kind: "error", status: 500 }, says: /HTTP 500.*server error/s },
  { name: "502", spec: { kind: "error", status: 502 }, says: /HTTP 502.*server error/s },
  { name: "503", spec: { kind: "error", status: 503 }, says: /HTTP 503.*server error/s },
  {
    name: "429 with Retry-After",
    spec: { kind: "error", status: 429, retryAfter: 1 },

    retryAfterS: 1,
    says: /HTTP 429.*retry in 1 seconds?/s,
  },
  {
    name: "429 without Retry-After",
    spec: { kind: "error", status: 429 },

    says: /HTTP 429.*rate limiting; retry in a little while/s,
  },
  {
    name: "connection reset before the response",
    spec: { kind: "reset" },

    says: /ConnectionError.*Could not reach SpacePay/s,
  },
  {
    name: "connection reset after the request was processed",
    spec: { kind: "reset-after" },

    says: /ConnectionError.*Could not reach SpacePay/s,
  },
  // A 2xx whose body cannot be read is asked again where that is safe (a GET, or a create with its
  // key, which SpacePay replays). When it never clears, the error must not claim SpacePay refused,
  // since a create did happen, and must say repeating is safe.
  { name: "truncated JSON", spec: { kind: "truncate" }, says: unreadable(/not JSON/) },
  { name: "an HTML body", spec: { kind: "html" }, says: unreadable(/not JSON/) },
  {
    name: "an HTML 502 gateway page",
    spec: { kind: "html", status: 502 },

    says: /HTTP 502.*server error/s,
  },
  { name: "an empty body", spec: { kind: "empty" }, says: unreadable(/empty body/) },
];

function unreadable(detail: RegExp): RegExp {
  return new RegExp(
    `answer could not be read \\(HTTP 20[01].*${detail.source}.*accepted the request.*Repeat the same call once`,
    "s",
  );
}

/** The longest a call may take: every attempt timing out, every backoff or Retry-After at its maximum. */
function budgetMs(c: FaultCase): number {
  const waits = c.retryAfterS !== undefined ? MAX_RETRIES * c.retryAfterS * 1000 : MAX_BACKOFF_TOTAL_MS;
  return (MAX_RETRIES + 1) * TIMEOUT_MS + waits + SLACK_MS;
}

interface Target {
  tool: string;
  method: "GET" | "POST";
  path: (h: Harness, paymentId: string) => string;
  args: (paymentId: string) => Record<string, unknown>;
  /** Upstream objects this tool creates. */
  counter?: "payments" | "withdrawals";
}

const TARGETS: Target[] = [
  {
    tool: "get_payment",
    method: "GET",
    path: (_h, id) => `${PAYMENTS_PATH}/${id}`,
    args: (id) => ({ paymentId: id }),
  },
  { tool: "list_payments", method: "GET", path: () => PAYMENTS_PATH, args: () => ({ limit: 5 }) },
  {
    tool: "create_payment",
    method: "POST",
    path: () => PAYMENTS_PATH,
    args: () => ({ amountInCents: 1_250, orderId: uniqueOrder("fm") }),
    counter: "payments",
  },
  {
    tool: "create_withdrawal",
    method: "POST",
    path: () => WITHDRAWALS_PATH,
    args: () => ({ amountInCents: 500, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT }),
    counter: "withdrawals",
  },
];

async function timed(p: Promise<ToolResult>): Promise<{ res: ToolResult; ms: number }> {
  const started = performance.now();
  const res = await p;
  return { res, ms: performance.now() - started };
}

function expectActionable(res: ToolResult, c: FaultCase, tool: string): void {
  const text = textOf(res);
  expect(text, `${tool}: ${text}`).toMatch(new RegExp(`^${tool} failed`));
  expect(text, `${tool}: ${text}`).toMatch(c.says);
  expect(text).toMatch(/Next step: \S/);
  // Raw upstream bodies and stack traces stay in the log.
  expect(text).not.toMatch(/<html|<!doctype|\n\s+at /i);
}

async function withHarness(fn: (h: Harness, paymentId: string) => Promise<void>): Promise<void> {
  const h = await startHarness({ env: ENV });
  try {
    const [paymentId] = h.sim.control.seed(1);
    await fn(h, paymentId!);
  } finally {
    await h.close();
  }
}

/** The server answers: a plain call with no fault in the way succeeds. */
async function expectAnswers(h: Harness, paymentId: string): Promise<void> {
  const res = await h.call("get_payment", { paymentId });
  expect(res.isError, textOf(res)).toBeFalsy();
  expect(res.structuredContent.payment.id).toBe(paymentId);
}

describe.concurrent.each(FAULTS)("$name", (c) => {
  it("once: a GET recovers within the retry budget; a create happens exactly once", async () => {
    await withHarness(async (h, paymentId) => {
      const before = h.sim.control.counts();
      const outcomes = await Promise.all(
        TARGETS.map(async (t) => {
          h.sim.control.addFault({ ...c.spec, method: t.method, path: t.path(h, paymentId), count: 1 });
          const args = t.args(paymentId);
          return { t, args, ...(await timed(h.call(t.tool, args))) };
        }),
      );
      for (const { t, ms } of outcomes)
        expect(ms, `${t.tool} took ${Math.round(ms)} ms`).toBeLessThan(budgetMs(c));
      for (const { t, res } of outcomes.filter((o) => o.t.counter === undefined))
        expect(res.isError, `${t.tool}: ${textOf(res)}`).toBeFalsy();
      // Every GET rule fired; whatever is left over belongs to nothing else.
      h.sim.control.clearFaults();
      if (c.spec.kind === "latency") await new Promise((r) => setTimeout(r, LATENCY_MS));
      // A create may have ended in an error (a retry can meet the first attempt still in flight); that
      // such an error says what to do is asserted, for every fault and tool, by "until cleared". The
      // agent's natural repeat of each create, failed or not, succeeds and makes nothing more.
      for (const { t, args, res } of outcomes) {
        if (t.counter === undefined) continue;
        const again = await h.call(t.tool, args);
        expect(again.isError, `${t.tool} again (first: ${textOf(res)}): ${textOf(again)}`).toBeFalsy();
        expect(h.sim.control.counts()[t.counter], `${t.tool}: upstream ${t.counter}`).toBe(
          before[t.counter] + 1,
        );
      }
      await expectAnswers(h, paymentId);
    });
  });

  it("until cleared: every call ends in time with an actionable error; a create still happens once", async () => {
    await withHarness(async (h, paymentId) => {
      const before = h.sim.control.counts();
      for (const t of TARGETS)
        h.sim.control.addFault({ ...c.spec, method: t.method, path: t.path(h, paymentId) });
      const outcomes = await Promise.all(
        TARGETS.map(async (t) => {
          const args = t.args(paymentId);
          return { t, args, ...(await timed(h.call(t.tool, args))) };
        }),
      );
      for (const { t, res, ms } of outcomes) {
        expect(ms, `${t.tool} took ${Math.round(ms)} ms`).toBeLessThan(budgetMs(c));
        expect(res.isError, `${t.tool} should fail while the fault lasts`).toBe(true);
        expectActionable(res, c, t.tool);
      }
      h.sim.control.clearFaults();
      if (c.spec.kind === "latency") await new Promise((r) => setTimeout(r, LATENCY_MS));
      for (const { t, args } of outcomes) {
        const again = await h.call(t.tool, args);
        expect(again.isError, `${t.tool} after the fault cleared: ${textOf(again)}`).toBeFalsy();
        if (t.counter) {
          expect(h.sim.control.counts()[t.counter], `${t.tool}: upstream ${t.counter}`).toBe(
            before[t.counter] + 1,
          );
        }
      }
      await expectAnswers(h, paymentId);
    });
  });
});

// Issue #11: two faults in a row on one call (the whole call: SPACEPAY_MAX_RETRIES=1, two attempts).
// The agent is told "may have gone through" exactly when an attempt may have been processed, and
// "nothing was sent" otherwise; the agent's repeat then leaves exactly one upstream object.
interface FaultSequence {
  name: string;
  faults: [Omit<FaultSpec, "method" | "path" | "count">, Omit<FaultSpec, "method" | "path" | "count">];
  /** Whether an attempt may have been processed (what the agent must be told). */
  ambiguous: boolean;
  /** Whether SpacePay really made the object during the faulted call (the simulator knows). */
  created: boolean;
}

const SEQUENCES: FaultSequence[] = [
  {
    name: "reset after processing, then 403",
    faults: [{ kind: "reset-after" }, { kind: "error", status: 403 }],
    ambiguous: true,
    created: true,
  },
  {
    name: "503, then 429",
    faults: [
      { kind: "error", status: 503 },
      { kind: "error", status: 429 },
    ],
    ambiguous: true,
    created: false,
  },
  {
    name: "timeout, then 400",
    faults: [
      { kind: "latency", latencyMs: LATENCY_MS },
      { kind: "error", status: 400 },
    ],
    ambiguous: true,
    created: true,
  },
  {
    name: "429, then 429",
    faults: [
      { kind: "error", status: 429 },
      { kind: "error", status: 429 },
    ],
    ambiguous: false,
    created: false,
  },
  {
    name: "429, then reset after processing",
    faults: [{ kind: "error", status: 429 }, { kind: "reset-after" }],
    ambiguous: true,
    created: true,
  },
  {
    name: "reset before processing, then 404",
    faults: [{ kind: "reset" }, { kind: "error", status: 404 }],
    // The client cannot tell a reset before processing from one after.
    ambiguous: true,
    created: false,
  },
  {
    name: "an empty 2xx, then 401",
    faults: [{ kind: "empty" }, { kind: "error", status: 401 }],
    ambiguous: true,
    created: true,
  },
  {
    name: "429, then 422",
    faults: [
      { kind: "error", status: 429 },
      { kind: "error", status: 422 },
    ],
    ambiguous: false,
    created: false,
  },
];

const CREATES = TARGETS.filter((t) => t.counter);

describe.concurrent.each(SEQUENCES)("sequence: $name", (seq) => {
  it("each create says what may have happened, and the agent's repeat leaves exactly one object", async () => {
    const h = await startHarness({ env: { ...ENV, SPACEPAY_MAX_RETRIES: "1" } });
    try {
      const before = h.sim.control.counts();
      const outcomes = await Promise.all(
        CREATES.map(async (t) => {
          for (const f of seq.faults) {
            h.sim.control.addFault({ ...f, method: t.method, path: t.path(h, ""), count: 1 });
          }
          const args = t.args("");
          return { t, args, res: await h.call(t.tool, args) };
        }),
      );
      if (seq.faults.some((f) => f.kind === "latency")) await new Promise((r) => setTimeout(r, LATENCY_MS));
      for (const { t, args, res } of outcomes) {
        const counter = t.counter!;
        const text = textOf(res);
        expect(res.isError, `${t.tool}: ${text}`).toBe(true);
        expect(text).toMatch(new RegExp(`^${t.tool} failed`));
        expect(text).toMatch(/Attempts: 1 .*; 2 /);
        if (seq.ambiguous) {
          expect(text).toMatch(/It may have gone through/);
          expect(text).not.toMatch(/Nothing was sent/);
        } else {
          expect(text).toMatch(/Nothing was sent/);
          expect(text).not.toMatch(/may have gone through/i);
        }
        expect(h.sim.control.counts()[counter], `${t.tool} during the faults`).toBe(
          before[counter] + (seq.created ? 1 : 0),
        );
        const again = await h.call(t.tool, args);
        expect(again.isError, `${t.tool} again: ${textOf(again)}`).toBeFalsy();
        expect(again.structuredContent.replayed).toBe(seq.created);
        expect(h.sim.control.counts()[counter], `${t.tool}: upstream ${counter}`).toBe(before[counter] + 1);
      }
    } finally {
      await h.close();
    }
  });
});
