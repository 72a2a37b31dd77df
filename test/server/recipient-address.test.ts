// Issue 11 item 11: create_withdrawal refuses a mixed-case recipient whose EIP-55 checksum is wrong
// (a likely typo) before anything is sent; all lower and all upper case stay accepted. The allow-list
// setting applies the same rule.
import { describe, expect, it } from "vitest";
import { useHarness } from "../helpers/mcp-harness.js";
import { loadConfig, ConfigError } from "../../src/config/index.js";

const GOOD = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; // EIP-55's own example
const TYPO = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"; // last letter's case flipped

const h = useHarness({ env: { SPACEPAY_WITHDRAWAL_ALLOWLIST: GOOD.toLowerCase() } });

const text = (r: { content: unknown }) =>
  (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? "").join("\n");

const withdraw = (recipientAddress: string) =>
  h.call("create_withdrawal", { amountInCents: 300, chainId: "base-sepolia", recipientAddress });

describe("create_withdrawal recipient checksum", () => {
  it("refuses a mixed-case address with a wrong checksum, naming the field, and sends nothing", async () => {
    const before = h.sim.control.counts().requests;
    const res = await withdraw(TYPO);
    expect(res.isError).toBe(true);
    expect(text(res)).toContain("`recipientAddress`");
    expect(text(res)).toMatch(/EIP-55 checksum/);
    expect(h.sim.control.counts().requests).toBe(before);
  });

  it.each([
    ["the correct checksum", GOOD],
    ["all lower case", GOOD.toLowerCase()],
    ["all upper case", "0x" + GOOD.slice(2).toUpperCase()],
  ])("accepts %s", async (_, address) => {
    const res = await withdraw(address);
    expect(res.isError, text(res)).toBeFalsy();
    expect(res.structuredContent.withdrawal.recipientAddress.toLowerCase()).toBe(GOOD.toLowerCase());
  });
});

describe("SPACEPAY_WITHDRAWAL_ALLOWLIST", () => {
  it("refuses an entry with a wrong checksum, naming it", () => {
    let err: unknown;
    try {
      loadConfig({ env: { SPACEPAY_WITHDRAWAL_ALLOWLIST: TYPO } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`entry "${TYPO}" has mixed case but a wrong EIP-55 checksum`);
  });
});
