// The process side of passkey approvals (SPACEPAY_APPROVAL=passkey): where the pages are (the HTTP
// server's SPACEPAY_PUBLIC_URL, or on stdio a loopback server started at the first approval), and
// word of a decision to the calls waiting on it: at once for a decision made on this process's page,
// within a poll for one made on another instance's (PostgreSQL), which the caller reads from the store.
import type { PasskeyDesk } from "../safety/channel.js";
import type { StateStore } from "../safety/state.js";
import { APPROVALS_PREFIX } from "./contract.js";
import { serveLoopbackPages, type LoopbackPages } from "./loopback.js";
import { approvalPages, type ApprovalPages } from "./serve.js";

/** How often a waiting call looks at the store for a decision made elsewhere. */
const POLL_MS = 1_000;

export interface ApprovalDesk {
  /** The pages, for the HTTP server to serve under /approvals/ (SPACEPAY_PUBLIC_URL). */
  pages: ApprovalPages;
  /** For the guard; null unless SPACEPAY_APPROVAL=passkey. */
  desk: PasskeyDesk | null;
  close(): Promise<void>;
}

export function approvalDesk(opts: {
  /** SPACEPAY_PUBLIC_URL; null: the loopback pages on `port` (stdio). */
  publicUrl: string | null;
  port: number;
  passkey: boolean;
  state: () => Promise<Pick<StateStore, "approvals" | "audit">>;
}): ApprovalDesk {
  const waiters = new Map<string, Set<() => void>>();
  let loopback: Promise<LoopbackPages> | null = null;
  let base = opts.publicUrl;
  const pages = approvalPages(() => base ?? "http://localhost", opts.state, {
    onDecided: (approval) => {
      for (const wake of waiters.get(approval.id) ?? []) wake();
    },
  });
  const baseUrl = async (): Promise<string> => {
    if (opts.publicUrl) return opts.publicUrl;
    loopback ??= serveLoopbackPages(opts.port, pages).then((served) => {
      base = served.baseUrl;
      return served;
    });
    return (await loopback).baseUrl;
  };
  const desk: PasskeyDesk = {
    pageUrl: async (id) => `${await baseUrl()}${APPROVALS_PREFIX}${encodeURIComponent(id)}`,
    decided: (id, signal, timeoutMs) =>
      new Promise<void>((resolve) => {
        const set = waiters.get(id) ?? new Set();
        waiters.set(id, set);
        const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, POLL_MS)));
        set.add(done);
        signal.addEventListener("abort", done, { once: true });
        if (signal.aborted) done();
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          set.delete(done);
          if (!set.size && waiters.get(id) === set) waiters.delete(id);
          resolve();
        }
      }),
  };
  return {
    pages,
    desk: opts.passkey ? desk : null,
    close: async () => {
      const served = loopback && (await loopback.catch(() => null));
      await served?.close();
    },
  };
}
