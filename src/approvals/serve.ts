// The approval pages as one request handler, loaded on the first request under /approvals/: a server
// that never shows an approval page never loads WebAuthn or the pages.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StateStore } from "../safety/state.js";
import { APPROVALS_PREFIX, type ApprovalHooks } from "./contract.js";

/** Answers a request under /approvals/ and resolves true; false (untouched) for any other path. */
export type ApprovalPages = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => Promise<boolean>;

export function approvalPages(
  /** The origin people open the pages on (SPACEPAY_PUBLIC_URL, or http://localhost:<port>). */
  baseUrl: () => string,
  state: () => Promise<Pick<StateStore, "approvals" | "audit">>,
  hooks: ApprovalHooks = {},
): ApprovalPages {
  let routes: Promise<ApprovalPages> | null = null;
  return async (req, res, body) => {
    if (!new URL(req.url ?? "/", "http://localhost").pathname.startsWith(APPROVALS_PREFIX)) return false;
    routes ??= Promise.all([import("./routes.js"), import("./passkeys.js")]).then(([r, p]) =>
      r.approvalRoutes({ state, rp: () => p.relyingParty(baseUrl()), ...hooks }),
    );
    return (await routes)(req, res, body);
  };
}
