// Chain references: every accepted spelling becomes CAIP-2; anything else fails naming the forms.
import { describe, expect, it } from "vitest";
import {
  chainName,
  evmAddressProblem,
  isNativeContract,
  toCaip2,
  toChecksumAddress,
} from "../../src/spacepay/chains.js";

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

describe("EVM addresses (EIP-55)", () => {
  // The test vectors of EIP-55 itself.
  const VECTORS = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  ];

  it.each(VECTORS)("%s: the checksum is computed as the standard says, and accepted", (address) => {
    expect(toChecksumAddress(address.toLowerCase())).toBe(address);
    expect(evmAddressProblem(address)).toBeNull();
  });

  it.each(VECTORS)("%s in all lower or all upper case carries no checksum and is accepted", (address) => {
    expect(evmAddressProblem(address.toLowerCase())).toBeNull();
    expect(evmAddressProblem("0x" + address.slice(2).toUpperCase())).toBeNull();
  });

  it.each(VECTORS)("%s with one letter's case flipped is refused as a wrong checksum", (address) => {
    const i = address.slice(2).search(/[a-fA-F]/) + 2;
    const ch = address[i]!;
    const flipped =
      address.slice(0, i) +
      (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) +
      address.slice(i + 1);
    expect(evmAddressProblem(flipped)).toMatch(/EIP-55 checksum/);
  });

  it("a wrong shape is refused as such", () => {
    expect(evmAddressProblem("0x1234")).toMatch(/0x followed by 40 hex/);
  });
});
