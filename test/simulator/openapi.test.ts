// The OpenAPI converter and validator used by the contract tests must actually reject wrong shapes.
import { describe, expect, it } from "vitest";
import { convertSchema, loadContract } from "./openapi.js";

const ROOT = "https://x.test/root.json";

describe("OpenAPI 3.0 → JSON Schema conversion", () => {
  it("turns nullable into null type/enum members and wraps nullable refs in anyOf", () => {
    expect(convertSchema({ type: "string", nullable: true, example: "x" }, ROOT, false)).toEqual({
      type: ["string", "null"],
    });
    expect(convertSchema({ type: "string", enum: ["a"], nullable: true }, ROOT, false)).toEqual({
      type: ["string", "null"],
      enum: ["a", null],
    });
    expect(
      convertSchema(
        { nullable: true, description: "d", allOf: [{ $ref: "#/components/schemas/A" }] },
        ROOT,
        false,
      ),
    ).toEqual({
      description: "d",
      anyOf: [{ type: "null" }, { allOf: [{ $ref: `${ROOT}#/components/schemas/A` }] }],
    });
  });

  it("closes objects that list properties", () => {
    expect(
      convertSchema({ type: "object", properties: { a: { type: "number" } } }, ROOT, true),
    ).toMatchObject({
      additionalProperties: false,
    });
  });
});

describe("the contract validator", () => {
  const contract = loadContract();
  const chain = {
    chainId: "eip155:1",
    name: "Ethereum",
    nativeSymbol: "ETH",
    nativeDecimals: 18,
    isEnabled: true,
    isTestnet: false,
  };

  it("accepts a valid ChainDto and rejects missing, extra and mistyped fields", () => {
    expect(contract.checkSchema("ChainDto", chain)).toEqual([]);
    expect(contract.checkSchema("ChainDto", { ...chain, isTestnet: undefined })).not.toEqual([]);
    expect(contract.checkSchema("ChainDto", { ...chain, extra: 1 })).not.toEqual([]);
    expect(contract.checkSchema("ChainDto", { ...chain, chainId: 1 })).not.toEqual([]);
  });

  it("follows $ref through allOf and accepts null only where nullable", () => {
    const token = {
      id: "t",
      coingeckoApiId: "ethereum",
      chain,
      symbol: "ETH",
      contractAddress: "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
      decimals: 18,
      type: "volatile",
      assetType: "native",
      status: "active",
      tokenPriceUsd: null,
    };
    expect(contract.checkSchema("TokenDto", token)).toEqual([]);
    expect(contract.checkSchema("TokenDto", { ...token, chain: { ...chain, name: 3 } })).not.toEqual([]);
    expect(contract.checkSchema("TokenDto", { ...token, symbol: null })).not.toEqual([]);
  });

  it("checks formats (uuid, date-time) and the error envelope", () => {
    const status = { id: "not-a-uuid", status: "pending" };
    expect(contract.checkSchema("PaymentStatusDto", status)).not.toEqual([]);
    expect(contract.checkError({ error: { type: "t", message: "m", code: "c", param: "p" } })).toEqual([]);
    expect(contract.checkError({ message: "m" })).not.toEqual([]);
  });
});
