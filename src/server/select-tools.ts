// Which tools a server offers: read-only mode wins over everything, then HTTP without a token; both
// offer exactly the tools annotated readOnlyHint. Then live-withdrawal gating, then the allow and
// deny lists. A tool that is not offered is never registered at all.
import type { Mode } from "../domain.js";
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
    else if (t.guarded?.kind === "withdrawal" && sel.mode === "live" && !sel.allowLiveWithdrawals) {
      disabled[t.name] = "live key without SPACEPAY_ALLOW_LIVE_WITHDRAWALS=true";
    } else if (allow && !allow.has(t.name)) disabled[t.name] = "not in SPACEPAY_TOOLS";
    else if (deny.has(t.name)) disabled[t.name] = "in SPACEPAY_EXCLUDE_TOOLS";
    else tools.push(t);
  }
  return { tools, disabled };
}
