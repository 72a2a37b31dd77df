// Chain references: every accepted spelling becomes CAIP-2; anything else fails naming the forms.
import { describe, expect, it } from "vitest";
import { chainName, isNativeContract, toCaip2 } from "../../src/spacepay/chains.js";

describe("toCaip2", () => {
  it.each([
    [84532, "eip155:84532"],
    ["84532", "eip155:84532"],
    ["eip155:84532", "eip155:84532"],
    ["EIP155:0084532", "eip155:84532"],
    ["base", "eip155:8453"],
    ["Base-Sepolia", "eip155:84532"],
    ["ethereum", "eip155:1"],
    ["mainnet", "eip155:1"],
    ["sepolia", "eip155:11155111"],
    ["ethereum-sepolia", "eip155:11155111"],
    ["polygon", "eip155:137"],
    ["arbitrum", "eip155:42161"],
    ["optimism", "eip155:10"],
    ["bsc", "eip155:56"],
    ["avalanche", "eip155:43114"],
    ["polygon-amoy", "eip155:80002"],
    ["arbitrum-sepolia", "eip155:421614"],
    ["optimism-sepolia", "eip155:11155420"],
    [" base ", "eip155:8453"],
  ])("%s → %s", (ref, out) => {
    expect(toCaip2(ref)).toBe(out);
  });

  it("keeps other CAIP-2 namespaces as they are", () => {
    expect(toCaip2("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp")).toBe(
      "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
    );
  });

  it.each(["atlantis", "", "0", -1, 1.5, "eip155:abc", "eip155:"])(
    "refuses %s, naming the accepted forms",
    (ref) => {
      expect(() => toCaip2(ref)).toThrow(/numeric chain id.*CAIP-2.*base-sepolia/);
    },
  );
});

describe("chainName and isNativeContract", () => {
  it("names known chains and falls back to the id", () => {
    expect(chainName("eip155:84532")).toBe("Base Sepolia");
    expect(chainName("eip155:999999")).toBe("eip155:999999");
  });

  it("treats 0x000…0 and 0xeee…e (any case) as native, nothing else", () => {
    expect(isNativeContract("0x" + "0".repeat(40))).toBe(true);
    expect(isNativeContract("0x" + "E".repeat(40))).toBe(true);
    expect(isNativeContract("0x00fc61d7de7655db3984db634e3489130ebeacf6")).toBe(false);
    expect(isNativeContract("0x" + "0".repeat(39))).toBe(false);
    expect(isNativeContract(null)).toBe(false);
  });
});
