// The hand-over side of the warm start: a transport between the SDK and the stdio chain that
// (1) drops the SDK's answers to the requests the front already answered (replayed under private ids)
// after checking them against what the front served: an out-of-date answer is rewritten in the cache,
// logged, and for a list announced with list_changed so the client refetches; and (2) records the
// SDK's answers to cacheable requests for the next start. The real server stays the only producer of
// answers; the cache only ever holds what it sent.
import type { JSONRPCMessage, Transport, TransportSendOptions } from "@modelcontextprotocol/server";
import { log } from "../log.js";
import { TransportDecorator } from "../server/transport-decorator.js";
import type { ListKind } from "./serve.js";
import {
  CACHEABLE,
  cacheFile,
  requestKey,
  stateKeyText,
  writeAnswers,
  type Answer,
  type CachePlace,
} from "./warm-cache.js";

/** A request the front answered from the cache, replayed to the SDK under a private id. */
export interface Replayed {
  method: string;
  key: string;
  clientId: string | number;
  /** The line the front wrote to stdout (no newline). */
  served: string;
}

export interface WarmStartOptions {
  place: CachePlace;
  env: Record<string, string | undefined>;
  /** The answers read at start (updated in place as the SDK answers). */
  answers: Map<string, Answer>;
  /** By private id. */
  replayed: Map<string, Replayed>;
  /** Sends the list's list_changed through the SDK (serve.ts). */
  listChanged: (list: ListKind) => void;
}

/** The list each listing request belongs to, whose list_changed makes a client refetch it. */
const LISTS: Record<string, ListKind> = {
  "tools/list": "tools",
  "prompts/list": "prompts",
  "resources/templates/list": "resources",
};

type Message = { id?: unknown; method?: unknown; params?: unknown; result?: unknown };

export class WarmStartTransport extends TransportDecorator {
  /** The session's initialize params (2025): part of every later request's key. */
  private initParams: unknown;
  /** Cacheable requests the SDK is answering, by id: their keys. */
  private readonly pending = new Map<unknown, string>();
  private file: string | null = null;
  /** The cache writes, one after another; a stop waits for them (a short session is still recorded). */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    inner: Transport,
    private readonly opts: WarmStartOptions,
  ) {
    super(inner);
  }

  protected override receive(message: JSONRPCMessage, pass: () => void): void {
    this.observe(message as Message);
    pass();
  }

  private observe(m: Message): void {
    if (typeof m.method !== "string") return;
    if (m.method === "initialize") this.initParams = m.params;
    if (m.id === undefined || !CACHEABLE.has(m.method)) return;
    if (typeof m.id === "string" && this.opts.replayed.has(m.id)) return;
    this.pending.set(m.id, requestKey(m.method, m.params, this.initParams));
  }

  override send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as Message;
    if (m.method === undefined && m.id !== undefined) {
      const replayed = typeof m.id === "string" ? this.opts.replayed.get(m.id) : undefined;
      if (replayed) {
        this.opts.replayed.delete(m.id as string);
        this.check(replayed, message);
        return Promise.resolve();
      }
      const key = this.pending.get(m.id);
      if (key !== undefined) {
        this.pending.delete(m.id);
        // Only results: an error answer is not fixed for the build (and the front never serves one).
        if ("result" in m) return this.inner.send(message, options).then(() => this.record(key, message));
      }
    }
    return this.inner.send(message, options);
  }

  /** The SDK's answer to a replayed request, against what the front served from the cache. */
  private check(r: Replayed, message: JSONRPCMessage): void {
    const asServed = JSON.stringify({ ...message, id: r.clientId });
    if (asServed === r.served) return;
    log("warn", `warm start: the cached ${r.method} answer was out of date; cache updated`);
    this.record(r.key, message);
    const list = LISTS[r.method];
    if (list) this.opts.listChanged(list);
  }

  /** Stores the answer for the next start; a failure only costs the next start its warm answers. */
  private record(key: string, message: JSONRPCMessage): void {
    // Re-inserted, so it counts as the newest when the file is trimmed.
    this.opts.answers.delete(key);
    this.opts.answers.set(key, { ...message, id: null });
    this.writing = this.writing
      .then(() => this.write())
      .catch((err: Error) => log("debug", `warm start: cache not written: ${err.message}`));
  }

  private async write(): Promise<void> {
    if (this.file === null) {
      let keyText = stateKeyText(this.opts.place, this.opts.env);
      const configured = [this.opts.env.SPACEPAY_STATE_KEY, this.opts.env.SPACEPAY_STATE_KEY_FILE].some(
        (v) => v !== undefined && v.trim() !== "",
      );
      if (keyText === null && !configured) {
        // First start in this state directory: generate the state key the state store would
        // generate on its first money call (same function, same file), so the next start is warm.
        const { resolveStateKey } = await import("../safety/state-key.js");
        resolveStateKey({ configured: null, dir: this.opts.place.stateDir });
        keyText = stateKeyText(this.opts.place, this.opts.env);
      }
      if (keyText === null) return;
      this.file = cacheFile(this.opts.place, keyText);
    }
    writeAnswers(this.file, this.opts.answers);
  }

  override async close(): Promise<void> {
    await this.writing;
    return this.inner.close();
  }
}
