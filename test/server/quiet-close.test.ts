// quiet-close.ts replaces the SDK's private Protocol._onclose so that a close with nothing pending
// constructs no exception. Pinned here: the SDK's own version (an SDK update that changes what a close
// does fails this first), and both paths: an idle close cleans up and tells onclose, and a close with a
// request pending still fails it with "Connection closed".
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InMemoryTransport, Protocol, Server } from "@modelcontextprotocol/server";
import { CONNECTION_CLOSED, sdkOnclose } from "../../src/server/quiet-close.js";

const PINNED = "4fed5bd8236b2f7d356573c7c9eb2ced1f1d972ab1774d86e632ca0ae8186482";

function server(): Server {
  return new Server({ name: "t", version: "1" }, { capabilities: {} });
}

describe("a server's close (quiet-close.ts)", () => {
  it("replaces the SDK's Protocol._onclose, whose own text is the one quiet-close.ts mirrors", () => {
    expect((Protocol.prototype as unknown as { _onclose: unknown })._onclose).not.toBe(sdkOnclose);
    const source = sdkOnclose.toString().replace(/\s+/g, " ");
    // On a mismatch: read the SDK's new _onclose and bring quiet-close.ts's idle path in line, then re-pin.
    expect(createHash("sha256").update(source).digest("hex"), source).toBe(PINNED);
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
