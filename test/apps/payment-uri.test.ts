// The EIP-681 request the payment card encodes when no payment link is known: only from well-formed
// quote data, and in the form a wallet reads for a token transfer or a native-coin payment.
import { describe, expect, it } from "vitest";
import { eip681 } from "../../apps/payment-card/payment-uri.js";
import type { QuoteView } from "../../src/server/render.js";

const DEPOSIT = "0x2222222222222222222222222222222222222222";
const USDC = "0x036cbd53842c5426634e7929541ec2318f3dcf7e";
const quote = (over: Partial<QuoteView>): QuoteView =>
  ({
    chainId: "eip155:84532",
    depositAddress: DEPOSIT,
    contractAddress: USDC,
    expectedAmountAsset: "25750000",
    ...over,
  }) as QuoteView;

describe("eip681", () => {
  it("an ERC-20 quote: a transfer call on the token contract, to the deposit address, of the exact amount", () => {
    expect(eip681(quote({}))).toBe(`ethereum:${USDC}@84532/transfer?address=${DEPOSIT}&uint256=25750000`);
  });

  it("the chain's own coin (no contract): a value payment to the deposit address", () => {
    expect(eip681(quote({ contractAddress: "", expectedAmountAsset: "1000000000000000" }))).toBe(
      `ethereum:${DEPOSIT}@84532?value=1000000000000000`,
    );
    expect(eip681(quote({ contractAddress: `0x${"0".repeat(40)}` }))).toBe(
      `ethereum:${DEPOSIT}@84532?value=25750000`,
    );
  });

  it("none for a chain that is not EVM, or data that is not well formed", () => {
    expect(eip681(quote({ chainId: "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp" }))).toBeNull();
    expect(eip681(quote({ depositAddress: null }))).toBeNull();
    expect(eip681(quote({ depositAddress: `${DEPOSIT}&uint256=1` }))).toBeNull();
    expect(eip681(quote({ expectedAmountAsset: "25.75" }))).toBeNull();
    expect(eip681(quote({ contractAddress: "0xnot-an-address" }))).toBeNull();
  });
});
