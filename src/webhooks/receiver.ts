// POST /webhooks/spacepay: SpacePay's signed events. The signature is the authentication (no MCP
// token): checked in constant time over the raw body (signature.ts) against every active secret, the
// timestamp within the tolerance. A verified event's id is recorded in durable state first, so a
// redelivery (on any instance sharing it) is acknowledged and does nothing, and only then acknowledged;
// what it means is worked out after the answer (`act`). A refused delivery changes nothing and does
// not use up its event id; refusals are logged as a summary (`refusalLog`), not a line each. Loaded only
// when SPACEPAY_WEBHOOK_SECRET is set (cli/serve.ts).
import type { IncomingMessage } from "node:http";
import { log } from "../log.js";
import { answerError, answerJson, post, type Refusal, type Route } from "../http/edge.js";
import { verifyWebhookSignature } from "./signature.js";
import { readEvent, type WebhookEvent } from "./payload.js";

export const WEBHOOK_PATH = "/webhooks/spacepay";
/** A delivery is a minimal snapshot: far below this. */
export const WEBHOOK_BODY_LIMIT = 256 * 1024;

/** The counters spacepay://account shows (the runtime's EventStats). */
export interface WebhookCounters {
  lastVerifiedAt: string | null;
  verified: number;
  duplicates: number;
  rejected: number;
}

export interface WebhookOptions {
  /** The active secrets: one, or two during a rotation. */
  secrets: readonly string[];
  toleranceMs: number;
  /** Records the event id durably: true the first time it is seen. */
  claim(eventId: string): Promise<boolean>;
  /** Acts on a new event, after it was acknowledged. */
  act(event: WebhookEvent): Promise<void>;
  counters: WebhookCounters;
  now?: () => number;
  /** How long a summary of refusals covers (a minute unless given). */
  refusalLogMs?: number;
}

export interface RefusalLog {
  note(refusal: Refusal): void;
  /** Writes the summary still pending now (at a stop), so no refusal goes unlogged. */
  flush(): void;
}

/**
 * Logs refusals without flooding the log (a misconfigured secret refuses every delivery; a scanner may
 * post thousands): the first refusal after a quiet spell at once with its reason, the rest within
 * `windowMs` as one summary line when the spell ends (or the server stops), counted by reason. Never a
 * secret or signature: the reasons name none.
 */
export function refusalLog(windowMs: number): RefusalLog {
  let since: Map<string, number> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    const counted = since;
    since = null;
    if (!counted?.size) return;
    const total = [...counted.values()].reduce((a, b) => a + b, 0);
    const reasons = [...counted].map(([reason, n]) => `${n} × ${reason}`).join("; ");
    log(
      "warn",
      `webhook: ${total} more deliver${total === 1 ? "y" : "ies"} refused in ${windowMs / 1000} s: ${reasons}`,
      {
        refused: total,
      },
    );
  };
  const note = (refusal: Refusal) => {
    if (since) {
      const reason = `(${refusal.status}) ${refusal.message}`;
      since.set(reason, (since.get(reason) ?? 0) + 1);
      return;
    }
    log("warn", `webhook refused (${refusal.status}): ${refusal.message}`, { status: refusal.status });
    since = new Map();
    timer = setTimeout(flush, windowMs).unref();
  };
  return { note, flush };
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function webhookRoute(opts: WebhookOptions): Route {
  const now = opts.now ?? Date.now;
  const { counters } = opts;
  // Why, for whoever investigates a misconfigured endpoint, summarised; a 401 too (not by answerError).
  const logRefusal = refusalLog(opts.refusalLogMs ?? 60_000);
  const counted = (refusal: Refusal) => {
    counters.rejected++;
    logRefusal.note(refusal);
  };
  const refuse = (res: Parameters<Route["handle"]>[1], refusal: Refusal) => {
    counted(refusal);
    answerError(res, { ...refusal, logged: true });
  };
  const route = post(
    [WEBHOOK_PATH],
    () => ({}),
    WEBHOOK_BODY_LIMIT,
    async (req, res, { body }) => {
      const timestamp = header(req, "x-spacepay-timestamp");
      // A "sha256=" prefix is tolerated (some senders and proxies add one); the rest is the hex HMAC.
      const signature = header(req, "x-spacepay-signature")?.replace(/^sha256=/i, "");
      if (!timestamp)
        return refuse(res, { status: 400, message: "Bad request: no X-SpacePay-Timestamp header" });
      if (!signature)
        return refuse(res, { status: 401, message: "Unauthorized: no X-SpacePay-Signature header" });
      const verdict = verifyWebhookSignature({
        secrets: opts.secrets,
        timestamp,
        signature,
        rawBody: body,
        nowMs: now(),
        windowMs: opts.toleranceMs,
      });
      if (!verdict.ok)
        return verdict.reason === "stale_timestamp"
          ? refuse(res, {
              status: 400,
              message: `Bad request: X-SpacePay-Timestamp is not within ${opts.toleranceMs / 1000} s of now (Unix seconds expected; SPACEPAY_WEBHOOK_TOLERANCE_SECONDS)`,
            })
          : refuse(res, {
              status: 401,
              message:
                "Unauthorized: X-SpacePay-Signature does not match the body with any configured secret (SPACEPAY_WEBHOOK_SECRET)",
            });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        return refuse(res, { status: 400, message: "Bad request: the body is not JSON" });
      }
      const event = readEvent(parsed, header(req, "x-spacepay-event-id"));
      if ("problem" in event) return refuse(res, { status: 400, message: `Bad request: ${event.problem}` });
      counters.lastVerifiedAt = new Date(now()).toISOString();
      let first: boolean;
      try {
        first = await opts.claim(event.eventId);
      } catch (err) {
        // Not recorded, so not acknowledged: SpacePay delivers it again later.
        log("error", `webhook event ${event.eventId} could not be recorded: ${(err as Error).message}`);
        return answerError(res, {
          status: 503,
          message: "Service unavailable: the event could not be recorded; deliver it again later",
        });
      }
      if (!first) {
        counters.duplicates++;
        log("debug", `webhook event ${event.eventId} already received`, { type: event.type });
        return answerJson(res, { received: true, duplicate: true });
      }
      counters.verified++;
      answerJson(res, { received: true });
      log("debug", `webhook event ${event.eventId}`, { type: event.type, object: event.objectId });
      // After the answer: the fetch by id waits for the upstream budget.
      void opts
        .act(event)
        .catch((err: Error) => log("warn", `webhook event ${event.eventId} (${event.type}): ${err.message}`));
    },
  );
  // Refusals the edge makes for this route (too large, wrong method) are counted too.
  return { ...route, refused: counted, close: logRefusal.flush };
}
