// Requests received and not yet answered, so a graceful stop can wait for their answers before it
// closes the transport. Closing first loses them: the SDK aborts the handlers, and an answer sent a
// few microtasks after a guarded call settles (handler → SDK → transport) finds the transport closed,
// so the agent never learns that its withdrawal went through. One tracker per transport edge: stdio
// wraps its whole chain in AnswerTrackingTransport (cli/serve.ts); HTTP counts open responses
// (http/serve-http.ts).
import type { JSONRPCMessage, TransportSendOptions } from "@modelcontextprotocol/server";
import { isListenRequest } from "./listen-streams.js";
import { TransportDecorator } from "./transport-decorator.js";

export class InFlight<K> {
  private readonly open = new Set<K>();
  private readonly waiters = new Set<() => void>();

  add(key: K): void {
    this.open.add(key);
  }

  done(key: K): void {
    if (!this.open.delete(key) || this.open.size) return;
    for (const wake of [...this.waiters]) wake();
  }

  /** Nothing can be answered any more (the transport closed): stop waiting. */
  clear(): void {
    for (const key of [...this.open]) this.done(key);
  }

  /**
   * Resolves once nothing is in flight (requests received meanwhile count too), or after `boundMs`;
   * with how many are still unanswered.
   */
  settled(boundMs: number): Promise<number> {
    if (!this.open.size) return Promise.resolve(0);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(this.open.size);
      };
      const timer = setTimeout(wake, boundMs);
      this.waiters.add(wake);
    });
  }
}

type Message = { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
type Id = string | number;

const isId = (id: unknown): id is Id => typeof id === "string" || typeof id === "number";

/**
 * `inner` with every request the client sends counted from its arrival until the answer has been
 * handed to `inner.send` and that send has settled. A 2026-07-28 listen is not counted (see
 * listen-streams.ts). A request the client cancels is no longer counted: the SDK sends no answer to it.
 */
export class AnswerTrackingTransport extends TransportDecorator {
  readonly inFlight = new InFlight<Id>();

  protected override closed(): void {
    this.inFlight.clear();
  }

  protected override receive(message: JSONRPCMessage, pass: () => void): void {
    const m = message as Message;
    if (typeof m.method === "string" && isId(m.id) && !isListenRequest(m)) this.inFlight.add(m.id);
    else if (m.method === "notifications/cancelled" && isId(m.params?.requestId))
      this.inFlight.done(m.params.requestId);
    pass();
  }

  override send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const sent = super.send(message, options);
    const m = message as Message;
    // An answer (no method) settles its request, written or not: a failed write will not be retried.
    if (m.method === undefined && isId(m.id)) {
      const id = m.id;
      return sent.finally(() => this.inFlight.done(id));
    }
    return sent;
  }
}
