// Which tools a server offers: read-only mode wins over everything, then HTTP without a token; both
// offer exactly the tools annotated readOnlyHint. Then live-withdrawal gating, then the allow and
// deny lists. A tool that is not offered is never registered at all. With OAuth, each request's
// server further keeps only the tools the token's scopes allow (toolScope decides each tool's scope),
// and every other method needs the scope METHOD_SCOPES gives it.
import type { Mode, Principal } from "../domain.js";
import type { AnyTool } from "./tool.js";
import { TOOLS } from "./tools/index.js";

export interface ToolSelection {
  readOnly: boolean;
  /** Served over HTTP without SPACEPAY_MCP_HTTP_TOKEN: any local process could call the server. */
  httpWithoutToken: boolean;
  mode: Mode;
  allowLiveWithdrawals: boolean;
  /** Allow list of tool names; null or empty = all. */
  tools: readonly string[] | null;
  excludeTools: readonly string[] | null;
}

export interface Selected {
  tools: AnyTool[];
  /** Why each left-out tool is not offered, for spacepay://account and the startup log. */
  disabled: Record<string, string>;
}

/** Why money-moving tools are missing over HTTP without a token, and how to get them back. */
export const HTTP_WITHOUT_TOKEN =
  "served over HTTP without SPACEPAY_MCP_HTTP_TOKEN, so any local process could call the server; to enable money-moving tools, set SPACEPAY_MCP_HTTP_TOKEN and send it as Authorization: Bearer <token>";

export function selectTools(sel: ToolSelection, all: readonly AnyTool[] = TOOLS): Selected {
  const tools: AnyTool[] = [];
  const disabled: Record<string, string> = {};
  const allow = sel.tools && sel.tools.length ? new Set(sel.tools) : null;
  const deny = new Set(sel.excludeTools ?? []);
  for (const t of all) {
    const writes = !t.annotations.readOnlyHint;
    if (sel.readOnly && writes) disabled[t.name] = "read-only mode (SPACEPAY_READ_ONLY)";
    else if (sel.httpWithoutToken && writes) disabled[t.name] = HTTP_WITHOUT_TOKEN;
    else if (t.guarded?.action === "create_withdrawal" && sel.mode === "live" && !sel.allowLiveWithdrawals) {
      disabled[t.name] = "live key without SPACEPAY_ALLOW_LIVE_WITHDRAWALS=true";
    } else if (allow && !allow.has(t.name)) disabled[t.name] = "not in SPACEPAY_TOOLS";
    else if (deny.has(t.name)) disabled[t.name] = "in SPACEPAY_EXCLUDE_TOOLS";
    else tools.push(t);
  }
  return { tools, disabled };
}

/** The OAuth scopes, each allowing one class of tools (RFC 9728 scopes_supported lists them). */
export const SCOPES = {
  /** Tools annotated readOnlyHint: lookups, lists, waits, status refreshes. */
  read: "spacepay:read",
  /** Tools that change SpacePay without moving money out: payment requests, deposits, quotes. */
  payments: "spacepay:payments",
  /** Tools that move money out of the merchant wallet. */
  withdrawals: "spacepay:withdrawals",
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/**
 * The one scope a tool needs, derived from what the definition already says, so a new tool is
 * classified the moment it is written: read-only tools need read, withdrawal-guarded ones
 * withdrawals, and every other writing tool (create_payment, create_deposit, create_quote) payments.
 */
export function toolScope(tool: AnyTool): Scope {
  if (tool.annotations.readOnlyHint) return SCOPES.read;
  if (tool.guarded?.action === "create_withdrawal") return SCOPES.withdrawals;
  return SCOPES.payments;
}

/** The tools a caller's token allows, of those the server offers. */
export function toolsFor(principal: Principal, tools: readonly AnyTool[]): AnyTool[] {
  return tools.filter((t) => principal.scopes.includes(toolScope(t)));
}

/** What a method needs: a scope, the called tool's own ("tool": toolScope), or nothing beyond a valid token. */
export type MethodScope = Scope | "tool" | null;

/**
 * The scope every MCP method the server answers needs, on both revisions (2025-11-25 and 2026-07-28):
 * the one table the HTTP gate asks. Whatever shows a payment, a withdrawal or their ids needs read; what
 * the server offers (fixed for a configuration) needs only a valid token. A method not here is one the
 * server does not answer, which the MCP layer refuses itself; test/server/method-scopes.test.ts fails
 * when a handler the server registers has no row.
 */
export const METHOD_SCOPES: Readonly<Record<string, MethodScope>> = {
  // The handshakes, liveness and the caller's own log level. ping, logging/setLevel and initialize are
  // 2025-only: 2026-07-28 removed them, and the SDK answers them "Method not found" on that revision.
  initialize: null,
  "server/discover": null,
  ping: null,
  "logging/setLevel": null,
  // What the server offers. tools/list is cut to the token's scopes (toolsFor); resources/list shows
  // payment and withdrawal instances only to a caller who may read them (listsInstances). Prompts are
  // recipes naming tools, filled with the caller's own arguments.
  "tools/list": null,
  "prompts/list": null,
  "prompts/get": null,
  "resources/list": null,
  "resources/templates/list": null,
  "tools/call": "tool",
  // Payments and withdrawals themselves: their contents, their ids (completion) and their changes.
  "resources/read": SCOPES.read,
  "completion/complete": SCOPES.read,
  "resources/subscribe": SCOPES.read,
  "resources/unsubscribe": SCOPES.read,
  "subscriptions/listen": SCOPES.read,
};

/** Whether resources/list shows payment and withdrawal instances: to whoever may read them (no principal: no OAuth). */
export function listsInstances(principal: Principal | undefined): boolean {
  return !principal || principal.scopes.includes(METHOD_SCOPES["resources/read"] as Scope);
}

/** What the HTTP layer's OAuth check needs to know about scopes, from the decisions above. */
export const SCOPE_POLICY = {
  scopes: Object.values(SCOPES),
  /** The scope one request needs; null for none, and for a method or tool the server does not know. */
  scopeOf(method: string, params: unknown): Scope | null {
    const rule = Object.hasOwn(METHOD_SCOPES, method) ? METHOD_SCOPES[method]! : null;
    if (rule !== "tool") return rule;
    const name = (params as { name?: unknown } | null | undefined)?.name;
    const tool = TOOLS.find((t) => t.name === name);
    return tool ? toolScope(tool) : null;
  },
};
