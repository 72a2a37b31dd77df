// Which tools are registered: read-only wins over everything; HTTP without a token offers no money tools;
// live withdrawals need explicit consent.
import { describe, expect, it } from "vitest";
import { selectTools } from "../../src/server/select-tools.js";
import { TOOL_NAMES } from "../../src/server/tools/index.js";

const base = {
  readOnly: false,
  httpWithoutToken: false,
  mode: "test" as const,
  allowLiveWithdrawals: false,
  tools: null,
  excludeTools: null,
};
const names = (s: ReturnType<typeof selectTools>) => s.tools.map((t) => t.name);

describe("tool selection", () => {
  it("offers all thirteen tools by default", () => {
    expect(names(selectTools(base))).toEqual(TOOL_NAMES);
    expect(TOOL_NAMES).toHaveLength(13);
  });

  it("read-only offers exactly the tools annotated readOnlyHint, even against an allow list", () => {
    const s = selectTools({ ...base, readOnly: true, tools: ["create_withdrawal", "get_payment"] });
    expect(names(s)).toEqual(["get_payment"]);
    expect(s.disabled.create_withdrawal).toMatch(/read-only/);
    const all = selectTools({ ...base, readOnly: true });
    expect(names(all)).toEqual([
      "get_payment",
      "list_payments",
      "refresh_status",
      "wait_for_payment",
      "get_withdrawal",
      "list_withdrawals",
      "get_withdrawal_config",
      "get_wallet_balances",
      "list_supported_tokens",
    ]);
    expect(all.tools.every((t) => t.annotations.readOnlyHint)).toBe(true);
    for (const name of ["create_payment", "create_deposit", "create_quote", "create_withdrawal"]) {
      expect(all.disabled[name], name).toMatch(/read-only/);
    }
  });

  it("HTTP without a token drops every money-moving tool, saying how to enable them", () => {
    const s = selectTools({ ...base, httpWithoutToken: true });
    expect(names(s)).not.toContain("create_payment");
    expect(names(s)).not.toContain("create_deposit");
    expect(names(s)).not.toContain("create_withdrawal");
    expect(names(s)).toContain("get_payment");
    expect(s.disabled.create_withdrawal).toMatch(/set SPACEPAY_MCP_HTTP_TOKEN/);
    // Read-only mode still names itself as the reason: it would hold with a token too.
    expect(selectTools({ ...base, httpWithoutToken: true, readOnly: true }).disabled.create_payment).toMatch(
      /read-only/,
    );
  });

  it("a live key has no create_withdrawal unless allowed", () => {
    expect(names(selectTools({ ...base, mode: "live" }))).not.toContain("create_withdrawal");
    expect(names(selectTools({ ...base, mode: "live" }))).toContain("create_payment");
    expect(names(selectTools({ ...base, mode: "live", allowLiveWithdrawals: true }))).toContain(
      "create_withdrawal",
    );
  });

  it("applies allow and deny lists", () => {
    expect(
      names(
        selectTools({ ...base, tools: ["get_payment", "list_payments"], excludeTools: ["list_payments"] }),
      ),
    ).toEqual(["get_payment"]);
  });
});
