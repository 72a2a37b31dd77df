// A stdio transport wrapper that runs a task once, after the first message the server has sent:
// work that must not delay the first answers (the startup state check) starts right after them.
import type { JSONRPCMessage, Transport, TransportSendOptions } from "@modelcontextprotocol/server";
import { TransportDecorator } from "./transport-decorator.js";

export class AfterFirstSendTransport extends TransportDecorator {
  constructor(
    inner: Transport,
    private task: (() => void) | null,
  ) {
    super(inner);
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    await super.send(message, options);
    const task = this.task;
    this.task = null;
    // After the answer is handed on, and after what the event loop already holds (the next requests).
    if (task) setImmediate(task);
  }
}
