// The stop's count of requests in flight at the stdio edge (src/server/in-flight.ts): what counts as
// answered decides whether a stop waits for an answer or closes on it. Bounds here are never reached
// when the behaviour is right (a wrong count shows as a wait that runs to its bound, returning > 0).
import { describe, expect, it } from "vitest";
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { AnswerTrackingTransport } from "../../src/server/in-flight.js";

/** A transport whose sends settle when the test says so. */
class FakeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly sends: Array<{ message: JSONRPCMessage; settle: () => void }> = [];
  async start() {}
  async close() {
    this.onclose?.();
  }
  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => this.sends.push({ message, settle: resolve }));
  }
  receive(message: object) {
    this.onmessage?.(message as JSONRPCMessage);
  }
}

const BOUND_MS = 5_000;
const call = (id: number | string, method = "tools/call") => ({ jsonrpc: "2.0", id, method, params: {} });

function tracked() {
  const inner = new FakeTransport();
  const outer = new AnswerTrackingTransport(inner);
  const seen: JSONRPCMessage[] = [];
  outer.onmessage = (m) => void seen.push(m);
  return { inner, outer, seen };
}

describe("requests in flight at the stdio edge", () => {
  it("nothing received: a stop need not wait", async () => {
    expect(await tracked().outer.inFlight.settled(BOUND_MS)).toBe(0);
  });

  it("a request counts until its answer's send has settled, and is passed on unchanged", async () => {
    const { inner, outer, seen } = tracked();
    inner.receive(call(1));
    expect(seen).toEqual([call(1)]);
    let settled: number | undefined;
    const waiting = outer.inFlight.settled(BOUND_MS).then((n) => (settled = n));
    // A notification and a request the server sends are not answers.
    void outer.send({ jsonrpc: "2.0", method: "notifications/progress", params: {} } as JSONRPCMessage);
    void outer.send({
      jsonrpc: "2.0",
      id: 1,
      method: "sampling/createMessage",
      params: {},
    } as JSONRPCMessage);
    const answer = outer.send({ jsonrpc: "2.0", id: 1, result: {} } as JSONRPCMessage);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBeUndefined(); // handed over, not yet written
    inner.sends.forEach((s) => s.settle());
    await answer;
    expect(await waiting).toBe(0);
  });

  it("a cancelled request no longer counts: the SDK sends no answer to it", async () => {
    const { inner, outer } = tracked();
    inner.receive(call("a"));
    inner.receive({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "a" } });
    expect(await outer.inFlight.settled(BOUND_MS)).toBe(0);
  });

  it("a listen stream is not counted: it stays open until the stop ends it", async () => {
    const { inner, outer } = tracked();
    inner.receive(call(7, "subscriptions/listen"));
    expect(await outer.inFlight.settled(BOUND_MS)).toBe(0);
  });

  it("a closed transport answers nothing more: the wait ends", async () => {
    const { inner, outer } = tracked();
    inner.receive(call(1));
    inner.receive(call(2));
    const waiting = outer.inFlight.settled(BOUND_MS);
    await inner.close();
    expect(await waiting).toBe(0);
  });

  it("after its bound, the wait reports what is still unanswered", async () => {
    const { inner, outer } = tracked();
    inner.receive(call(1));
    inner.receive(call(2));
    void outer.send({ jsonrpc: "2.0", id: 2, result: {} } as JSONRPCMessage);
    inner.sends.forEach((s) => s.settle());
    await new Promise((r) => setImmediate(r));
    expect(await outer.inFlight.settled(20)).toBe(1);
  });
});
