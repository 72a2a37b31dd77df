// Everything under /approvals/: the enrollment and approval pages and their JSON endpoints. The same
// handler serves the HTTP transport (on SPACEPAY_PUBLIC_URL), the loopback server on stdio, and the
// `approvers add` command. Wrong or replayed assertions get a 4xx, are counted per approval (and
// refused after MAX_FAILURES) and audited; in every refusal nothing changes.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { log } from "../log.js";
import type { AuditEntry } from "../safety/audit.js";
import type { StateStore } from "../safety/state.js";
import { APPROVALS_PREFIX, type ApprovalHooks } from "./contract.js";
import { approvalPage, enrollmentPage, messagePage, pageHeaders, type Page } from "./pages.js";
import {
  approvalOptions,
  completeRegistration,
  PasskeyRefusal,
  registrationOptions,
  verifyApproval,
  type RelyingParty,
} from "./passkeys.js";

/** Refused assertions an approval takes before its Approve is refused outright (429). */
export const MAX_FAILURES = 10;

const MAX_BODY = 64 * 1024;

export interface ApprovalRoutesOptions extends ApprovalHooks {
  /** The state store (opened on first use by the runtime; the CLI passes its own). */
  state: () => Promise<Pick<StateStore, "approvals" | "audit">>;
  /** The relying party (a function: the loopback server knows its port only once it listens). */
  rp: () => RelyingParty;
  now?: () => Date;
}

type Answer = Page;

const json = (status: number, value: unknown): Answer => ({
  status,
  headers: pageHeaders(null, "application/json"),
  body: JSON.stringify(value),
});
const fail = (status: number, error: string): Answer => json(status, { error });

/** One page's requests: `/approvals/enroll/<id>[/<action>]` or `/approvals/<id>[/<action>]`. */
type PageRoute = (
  req: IncomingMessage,
  id: string,
  action: string | undefined,
  given: Buffer | undefined,
) => Promise<Answer>;

/** A refusal as its asker reads it: a page for a browser's GET, `{error}` for the page's own POSTs. */
const refuse = (req: IncomingMessage, status: number, title: string, page: string, error: string): Answer =>
  req.method === "GET" ? messagePage(status, title, page) : fail(status, error);

class BadBody extends Error {}

/** The JSON body: the one the HTTP edge already read, or read here (the loopback server). */
async function readBody(req: IncomingMessage, given: Buffer | undefined): Promise<unknown> {
  const chunks: Buffer[] = given ? [given] : [];
  let size = 0;
  if (!given)
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new BadBody(`the body is over ${MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text.trim() ? JSON.parse(text) : {};
  } catch (err) {
    throw new BadBody(`the body is not JSON (${(err as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** The handler for one request under /approvals/; answers 404 for anything it does not know. */
export function approvalRoutes(opts: ApprovalRoutesOptions) {
  const now = opts.now ?? (() => new Date());

  const audit = async (
    entry: Omit<AuditEntry, "time" | "event" | "confirmation" | "idempotencyKey"> &
      Partial<Pick<AuditEntry, "confirmation">>,
  ) => {
    const { audit } = await opts.state();
    await audit.append({
      time: now().toISOString(),
      event: "outcome",
      confirmation: null,
      idempotencyKey: null,
      ...entry,
    });
  };

  const enroll: PageRoute = async (req, linkId, action, given) => {
    const { approvals } = await opts.state();
    const link = await approvals.enrollment(linkId);
    if (!link)
      return refuse(
        req,
        404,
        "Unknown link",
        "This enrollment link does not exist.",
        "unknown enrollment link",
      );
    if (link.state === "done" || link.expiresAt <= now().getTime()) {
      const why = link.state === "done" ? "has been used" : "has expired";
      return refuse(
        req,
        410,
        "Link no longer valid",
        `This enrollment link ${why}. Run spacepay-mcp approvers add again.`,
        `this enrollment link ${why}`,
      );
    }
    if (req.method === "GET" && action === undefined) return enrollmentPage(link.approver);
    if (req.method !== "POST") return fail(405, "use POST");
    const body = await readBody(req, given);
    if (action === "options")
      return json(200, {
        options: await registrationOptions(approvals, linkId, link.approver, opts.rp(), now()),
      });
    if (action !== undefined) return fail(404, "unknown endpoint");
    if (!isObject(body) || !isObject(body.response))
      return fail(400, "the body is not a registration response (credential.toJSON())");
    const approver = await completeRegistration(
      approvals,
      linkId,
      body as unknown as RegistrationResponseJSON,
      opts.rp(),
      now(),
    );
    await audit({
      tool: "approvers",
      args: { action: "enrolled", name: approver, subject: link.subject },
      outcome: "done",
    });
    log("info", `approvers: ${approver} registered a passkey`);
    opts.onEnrolled?.(approver);
    return json(200, {
      final: true,
      approver,
      message: `Passkey registered for ${approver}. You can close this page.`,
    });
  };

  const approval: PageRoute = async (req, id, action, given) => {
    const { approvals } = await opts.state();
    const found = await approvals.get(id);
    if (!found) return refuse(req, 404, "Unknown approval", "There is no such approval.", "unknown approval");
    const expired =
      found.expiresAt <= now().getTime() && (found.state === "pending" || found.state === "approved");
    if (expired)
      return refuse(
        req,
        410,
        "Approval expired",
        "This approval has expired and nothing was sent. The agent can ask again.",
        "this approval has expired; nothing was sent",
      );
    if (req.method === "GET" && action === undefined) return approvalPage(found);
    if (req.method !== "POST") return fail(405, "use POST");
    const body = await readBody(req, given);
    if (action === "decline") {
      const after = (await approvals.decline(id, now()))!;
      if (after.state === "declined") {
        // The decision is audited where it is made: the call that asked may never be repeated.
        await audit({
          tool: after.tool,
          ...(after.caller !== null && { caller: after.caller }),
          args: { summary: after.summary },
          outcome: "declined",
          confirmation: "passkey",
        });
        opts.onDecided?.(after);
        return json(200, {
          final: true,
          state: after.state,
          message: "Declined. Nothing was sent, and this is final.",
        });
      }
      return fail(
        409,
        `already ${after.state === "done" ? "approved: the withdrawal was sent" : `approved (${after.state}): the withdrawal is being sent`}`,
      );
    }
    if (found.state !== "pending") return fail(409, `this approval is already ${found.state}`);
    if (found.failures >= MAX_FAILURES)
      return fail(
        429,
        "too many refused passkeys for this approval; the agent can ask again after it expires",
      );
    if (action === "options")
      return json(200, { options: await approvalOptions(approvals, found, opts.rp(), now()) });
    if (action !== "approve") return fail(404, "unknown endpoint");
    if (!isObject(body) || !isObject(body.response))
      return fail(400, "the body is not an assertion (credential.toJSON())");
    let voter;
    try {
      voter = await verifyApproval(
        approvals,
        found,
        body as unknown as AuthenticationResponseJSON,
        opts.rp(),
        now(),
      );
    } catch (err) {
      if (!(err instanceof PasskeyRefusal)) throw err;
      const failures = await approvals.countFailure(id);
      await audit({
        tool: found.tool,
        args: { approvalId: id, failures },
        outcome: "refused",
        rule: `passkey approval refused: ${err.message}`,
      });
      return fail(err.status, err.message);
    }
    const after = (await approvals.vote(id, voter.approver, voter.credentialId, now()))!;
    opts.onDecided?.(after);
    if (after.state === "approved")
      return json(200, {
        final: true,
        state: after.state,
        approvedBy: after.approvedBy,
        message: `Approved by ${after.approvedBy.join(" and ")}. The agent completes the call.`,
      });
    if (after.state === "pending") {
      const more = after.needed - after.approvedBy.length;
      return json(200, {
        final: false,
        state: after.state,
        approvedBy: after.approvedBy,
        message: `${voter.approver}'s approval is counted (${after.approvedBy.length} of ${after.needed}). ${more} more approver${more === 1 ? "" : "s"} must approve, each with their own passkey.`,
      });
    }
    return fail(409, `this approval is already ${after.state}`);
  };

  /** Answers the request when its path is under /approvals/; false when it is not. */
  return async function handle(req: IncomingMessage, res: ServerResponse, given?: Buffer): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(APPROVALS_PREFIX)) return false;
    const parts = url.pathname.slice(APPROVALS_PREFIX.length).split("/");
    let answer: Answer;
    try {
      if (parts[0] === "enroll" && parts[1] && parts.length <= 3)
        answer = await enroll(req, parts[1], parts[2], given);
      else if (parts[0] && parts[0] !== "enroll" && parts.length <= 2)
        answer = await approval(req, parts[0], parts[1], given);
      else answer = fail(404, "unknown page");
    } catch (err) {
      if (err instanceof BadBody) answer = fail(400, err.message);
      else if (err instanceof PasskeyRefusal) answer = fail(err.status, err.message);
      else {
        log("error", `approvals: ${(err as Error).message}`);
        answer = fail(503, "the approval state is unavailable; nothing changed");
      }
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    return true;
  };
}
