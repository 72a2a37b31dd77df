// The one shape of a stdio transport wrapper (the edge checks, the listen streams, the warm start,
// the count of answers in flight): it sits between the SDK and the transport below, passes
// everything on, and a subclass overrides only the side it cares about. Types only from the SDK, so
// the warm-start path loads nothing with it.
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/server";

export abstract class TransportDecorator implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  /** Messages wait here, in order, while `receive` is busy with an earlier one. */
  private held: Promise<void> | null = null;

  constructor(protected readonly inner: Transport) {
    inner.onclose = () => {
      this.closed();
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const pass = () => this.onmessage?.(message, extra);
      if (this.held) return this.hold(this.held.then(() => this.receive(message, pass)));
      const busy = this.receive(message, pass);
      if (busy) this.hold(busy);
    };
  }

  /**
   * Each inbound message: call `pass` to hand it to the layer above (or don't, having answered it
   * with `this.inner.send`). A returned promise holds the later messages until it settles, so they
   * still reach the SDK in order.
   */
  protected receive(_message: JSONRPCMessage, pass: () => void): Promise<void> | void {
    pass();
  }

  /** The transport below closed. */
  protected closed(): void {}

  private hold(busy: Promise<void>): void {
    const next = busy.catch((err: Error) => this.onerror?.(err));
    this.held = next;
    void next.then(() => {
      if (this.held === next) this.held = null;
    });
  }

  /** Answers `message` here, on the transport below, instead of passing it on. */
  protected answer(message: JSONRPCMessage): void {
    this.inner.send(message).catch((err: Error) => this.onerror?.(err));
  }

  start(): Promise<void> {
    return this.inner.start();
  }
  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
