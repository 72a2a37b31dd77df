// The stdio front: reads stdin before the real server loads (the SDK and zod take ~150 ms to import)
// and answers the first listing requests from the warm-start cache (warm-cache.ts), answers the real
// server gave in an earlier start of this build and configuration. Everything else is queued in
// arrival order; the real server loads on the first request the cache cannot answer, or once the
// client has been quiet for a moment, and then reads the answered requests again under private ids
// (so the SDK sees the same first message, picks the same era and records the client's
// capabilities), the queue, and the rest of stdin (warm-record.ts checks and records its answers).
// Imports only node: built-ins and tiny modules: no zod, no SDK, not src/config/. In dist/ it is bundled
// into the CommonJS launcher (src/cli.ts), so the real server comes in through `server`, never an import.
import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { log, presetLogFormat } from "../log.js";
import {
  CACHEABLE,
  cacheFile,
  locateCache,
  readAnswers,
  requestKey,
  stateKeyText,
  type Answer,
} from "./warm-cache.js";
import type { serve } from "./serve.js";
import type { Replayed, WarmStartTransport } from "./warm-record.js";

/** The real server, loaded when the front hands over (main.ts's frontServer; the ESM side in dist/). */
export interface FrontServer {
  serve: typeof serve;
  WarmStartTransport: typeof WarmStartTransport;
}

/** How long the client may stay quiet after an answer before the real server loads anyway. */
const QUIET_MS = 50;
/** A partial line longer than this is not a listing request: let the real server (and its limit) see it. */
const MAX_PENDING_BYTES = 1 << 20;

type Message = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

export async function serveWithWarmStart(
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
  argv: readonly string[],
  server: () => Promise<FrontServer>,
): Promise<number> {
  // A warm start may stop without ever loading the configuration: its lines follow the format too.
  presetLogFormat(flags, env);
  // SPACEPAY_MCP_HTTP (any value: src/config/ decides what it means) or no usable cache: as before.
  const place = env.SPACEPAY_MCP_HTTP?.trim() ? null : locateCache(argv, flags, env);
  if (!place) return (await server()).serve(flags, env);
  const keyText = stateKeyText(place, env);
  const answers = keyText ? readAnswers(cacheFile(place, keyText)) : new Map<string, Answer>();

  const nonce = randomBytes(6).toString("hex");
  /** Every line read so far, in order; an answered request's line is already rewritten to its private id. */
  const lines: string[] = [];
  const replayed = new Map<string, Replayed>();
  let queuedRequests = 0;
  let initParams: unknown;
  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  let quiet: NodeJS.Timeout | undefined;
  let loading: Promise<number> | undefined;

  const answer = (m: Message, method: string): boolean => {
    // Only well-formed requests: anything the SDK might refuse is the SDK's to answer.
    if (m.jsonrpc !== "2.0" || (typeof m.id !== "string" && typeof m.id !== "number")) return false;
    if (!CACHEABLE.has(method)) return false;
    const key = requestKey(method, m.params, initParams);
    const cached = answers.get(key);
    if (!cached) return false;
    if (method === "initialize") initParams = m.params;
    const served = JSON.stringify({ ...cached, id: m.id });
    process.stdout.write(served + "\n");
    const privateId = `spacepay-warm-start:${nonce}:${replayed.size}`;
    replayed.set(privateId, { method, key, clientId: m.id, served });
    lines.push(JSON.stringify({ ...m, id: privateId }));
    return true;
  };

  const onLine = (line: string) => {
    let m: Message | null = null;
    try {
      const parsed: unknown = JSON.parse(line.replace(/\r$/, ""));
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) m = parsed as Message;
    } catch {
      // Not JSON: the SDK decides what that means.
    }
    const method = typeof m?.method === "string" ? m.method : undefined;
    if (m && method !== undefined && m.id === undefined) {
      // A notification (notifications/initialized) needs no answer: it waits for the real server.
      lines.push(line);
      return;
    }
    if (m && method !== undefined && answer(m, method)) {
      clearTimeout(quiet);
      quiet = setTimeout(load, QUIET_MS);
      return;
    }
    lines.push(line);
    queuedRequests++;
    load();
  };

  const onData = (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (let nl = pending.indexOf(10); nl !== -1 && !loading; nl = pending.indexOf(10)) {
      const line = pending.toString("utf8", 0, nl);
      pending = pending.subarray(nl + 1);
      onLine(line);
    }
    if (!loading && pending.length > MAX_PENDING_BYTES) load();
  };

  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  const onEnd = () => {
    ended = true;
    if (loading) return;
    clearTimeout(quiet);
    if (queuedRequests > 0) return void load();
    // Nothing left to answer: the usual stop, without loading anything.
    log("info", "stopping (stdin closed)");
    finish(0);
  };

  function load(): void {
    if (loading) return;
    clearTimeout(quiet);
    loading = (async () => {
      const { serve, WarmStartTransport } = await server();
      process.stdin.off("data", onData);
      process.stdin.off("end", onEnd);
      const source = new PassThrough();
      for (const line of lines) source.write(line + "\n");
      if (pending.length) source.write(pending);
      if (ended) source.end();
      else process.stdin.pipe(source);
      const code = await serve(flags, env, {
        stdin: source,
        wrap: (transport, listChanged) =>
          new WarmStartTransport(transport, { place: place!, env, answers, replayed, listChanged }),
      });
      // serve() returned: a refused configuration, or a stop. A stdin still being read would keep
      // the process alive.
      process.stdin.unpipe(source);
      process.stdin.pause();
      return code;
    })();
    // A failure to start propagates as it did before the front existed (an unhandled rejection).
    void loading.then(finish);
  }

  process.stdin.on("data", onData);
  process.stdin.on("end", onEnd);
  // Nothing cached (first start, new configuration): load now, as before the front existed, so a
  // configuration problem is reported at once; the real server's answers are recorded for next time.
  if (answers.size === 0) load();
  return done;
}
