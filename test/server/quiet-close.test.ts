// quiet-close.ts replaces the SDK's private Protocol._onclose so that a close with nothing pending
// constructs no exception. Pinned here: the SDK's own version, line by line (an SDK update that changes
// what a close does fails this first, showing the lines that changed and what to check), and both
// paths: an idle close cleans up and tells onclose, and a close with a request pending still fails it
// with "Connection closed".
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InMemoryTransport, Protocol, Server } from "@modelcontextprotocol/server";
import { CONNECTION_CLOSED, sdkOnclose } from "../../src/server/quiet-close.js";

/** The SDK release whose Protocol._onclose quiet-close.ts mirrors, and that method's lines (trimmed). */
const PINNED_SDK = "2.4.0";
const PINNED_ONCLOSE = [
  "_onclose() {",
  "const responseHandlers = this._responseHandlers;",
  "this._responseHandlers = /* @__PURE__ */ new Map();",
  "this._progressHandlers.clear();",
  "this._pendingDebouncedNotifications.clear();",
  "for (const info of this._timeoutInfo.values()) clearTimeout(info.timeoutId);",
  "this._timeoutInfo.clear();",
  "const requestHandlerAbortControllers = this._requestHandlerAbortControllers;",
  "this._requestHandlerAbortControllers = /* @__PURE__ */ new Map();",
  'const error = new SdkError(SdkErrorCode.ConnectionClosed, "Connection closed");',
  "this._transport = void 0;",
  "try {",
  "this.onclose?.();",
  "} finally {",
  "for (const handler of responseHandlers.values()) handler(error);",
  "for (const controller of requestHandlerAbortControllers.values()) controller.abort(error);",
  "}",
  "}",
];

const installed = (
  JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, "../../node_modules/@modelcontextprotocol/server/package.json"),
      "utf8",
    ),
  ) as { version: string }
).version;

/** What the next person reads when the SDK's close is not the one pinned. */
const WHAT_TO_CHECK = `The SDK's private Protocol._onclose is not the one src/server/quiet-close.ts mirrors (pinned from @modelcontextprotocol/server ${PINNED_SDK}; installed: ${installed}; find it with: grep -n "_onclose() {" node_modules/@modelcontextprotocol/server/dist/*.mjs).
quiet-close.ts runs its own copy of the idle path (nothing waiting on the client) and the SDK's for every other close. In the diff below, check:
  1. every field the SDK's close resets or clears, quiet-close.ts's idle path resets or clears too (a new one left out leaks or keeps a dead connection's state);
  2. onclose is still called before the request handlers are aborted, and with the same error code (SdkErrorCode.ConnectionClosed);
  3. "nothing waiting" is still exactly: _responseHandlers and _timeoutInfo empty (a new kind of pending work must make the close not quiet);
  4. the fields quiet-close.ts's ProtocolState reads keep their names: a rename of one in its "quiet" condition sends every close down the SDK's path (correct, slow again), of any other makes its idle path throw.
Bring quiet-close.ts in line, run this file, then copy the new lines into PINNED_ONCLOSE and the version into PINNED_SDK. If _onclose is gone, or the SDK no longer builds an error per close, delete quiet-close.ts and its import in create-server.ts.`;

function server(): Server {
  return new Server({ name: "t", version: "1" }, { capabilities: {} });
}

describe("a server's close (quiet-close.ts)", () => {
  it("replaces the SDK's Protocol._onclose, whose own text is the one quiet-close.ts mirrors", () => {
    expect(typeof sdkOnclose, WHAT_TO_CHECK).toBe("function");
    expect((Protocol.prototype as unknown as { _onclose: unknown })._onclose).not.toBe(sdkOnclose);
    const lines = sdkOnclose
      .toString()
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    expect(lines, WHAT_TO_CHECK).toEqual(PINNED_ONCLOSE);
  });

  it("with nothing pending: cleans up, says it closed, and can connect again", async () => {
    const s = server();
    const [mine] = InMemoryTransport.createLinkedPair();
    await s.connect(mine);
    let closed = 0;
    s.onclose = () => closed++;
    await s.close();
    expect(closed).toBe(1);
    expect(s.transport).toBeUndefined();
    const [again] = InMemoryTransport.createLinkedPair();
    await expect(s.connect(again)).resolves.toBeUndefined();
    await s.close();
  });

  it("with a request handler running: aborts it with the one Connection closed error", async () => {
    const s = server();
    let signal: AbortSignal | undefined;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    s.setRequestHandler("ping", (_req, ctx) => {
      signal = ctx.mcpReq.signal;
      started();
      return new Promise(() => {});
    });
    const [mine, peer] = InMemoryTransport.createLinkedPair();
    await peer.start();
    await s.connect(mine);
    await peer.send({ jsonrpc: "2.0", id: 1, method: "ping" });
    await running;
    await s.close();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(CONNECTION_CLOSED);
  });

  it("with a request to the client waiting: the SDK's own close fails it with Connection closed", async () => {
    const s = server();
    const [mine, peer] = InMemoryTransport.createLinkedPair();
    await peer.start(); // the peer never answers
    await s.connect(mine);
    const pending = s.ping();
    await s.close();
    await expect(pending).rejects.toThrow(/Connection closed/);
  });
});
