// Which tools are registered: read-only wins over everything; HTTP without a token offers only the
// read-only tools; live withdrawals need explicit consent. Expectations come from the committed
// tools/list snapshot, not from the registry under test.
import { describe, expect, it } from "vitest";
import { selectTools, toolScope, toolsFor } from "../../src/server/select-tools.js";
import { TOOLS } from "../../src/server/tools/index.js";
import { LISTED_TOOLS, READ_ONLY_TOOLS } from "../helpers/listed-tools.js";

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
  it("offers every tool of the committed tools/list by default, and disables none", () => {
    const s = selectTools(base);
    expect(names(s)).toEqual(LISTED_TOOLS);
    expect(s.disabled).toEqual({});
  });

  it("read-only offers exactly the tools annotated readOnlyHint, even against an allow list", () => {
    const s = selectTools({ ...base, readOnly: true, tools: ["create_withdrawal", "get_payment"] });
    expect(names(s)).toEqual(["get_payment"]);
    expect(s.disabled.create_withdrawal).toMatch(/read-only/);
    const all = selectTools({ ...base, readOnly: true });
    expect(names(all)).toEqual(READ_ONLY_TOOLS);
    expect(READ_ONLY_TOOLS).toContain("refresh_status");
    for (const name of ["create_payment", "create_deposit", "create_quote", "create_withdrawal"]) {
      expect(all.disabled[name], name).toMatch(/read-only/);
    }
  });

  it("HTTP without a token offers exactly the read-only tools, saying how to enable the rest", () => {
    const s = selectTools({ ...base, httpWithoutToken: true });
    expect(names(s)).toEqual(READ_ONLY_TOOLS);
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

describe("OAuth scopes", () => {
  it("each tool needs exactly one scope: read tools read, payment requests and quotes payments, withdrawals withdrawals", () => {
    const byScope: Record<string, string[]> = {};
    for (const t of TOOLS) (byScope[toolScope(t)] ??= []).push(t.name);
    expect(byScope["spacepay:withdrawals"]).toEqual(["create_withdrawal"]);
    expect(byScope["spacepay:payments"]).toEqual(["create_payment", "create_deposit", "create_quote"]);
    expect(byScope["spacepay:read"]).toEqual(READ_ONLY_TOOLS);
    expect(byScope["spacepay:read"]).toContain("refresh_status");
  });

  it("a principal gets the tools of its scopes only", () => {
    const names = (scopes: string[]) => toolsFor({ subject: "s", scopes }, TOOLS).map((t) => t.name);
    expect(names([])).toEqual([]);
    expect(names(["spacepay:withdrawals"])).toEqual(["create_withdrawal"]);
    expect(names(["spacepay:read", "spacepay:payments", "spacepay:withdrawals"])).toEqual(LISTED_TOOLS);
  });
});
