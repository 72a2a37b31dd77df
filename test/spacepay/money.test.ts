// Money helpers: exact fiat and token formatting with integers only.
import { describe, expect, it } from "vitest";
import { formatCents, formatTokenAmount, toDecimalString } from "../../src/spacepay/money.js";

describe("formatCents", () => {
  it.each([
    [123456, "$1,234.56"],
    [0, "$0.00"],
    [5, "$0.05"],
    [-5, "-$0.05"],
    [-123456, "-$1,234.56"],
    [100000000, "$1,000,000.00"],
    [Number.MAX_SAFE_INTEGER, "$90,071,992,547,409.91"],
  ])("%i → %s", (cents, out) => {
    expect(formatCents(cents)).toBe(out);
  });

  it("takes bigints and refuses fractions of a cent", () => {
    expect(formatCents(12345678901234567890n)).toBe("$123,456,789,012,345,678.90");
    expect(() => formatCents(1.5)).toThrow(RangeError);
  });
});

describe("formatTokenAmount", () => {
  it.each([
    ["1500000", 6, "1.5"],
    ["1000000", 6, "1"],
    ["1", 6, "0.000001"],
    ["0", 18, "0"],
    ["668082370801162", 18, "0.000668082370801162"],
    ["123456789012345678901234567890", 18, "123456789012.34567890123456789"],
    ["-2500", 3, "-2.5"],
    ["42", 0, "42"],
  ] as const)("(%s, %i) → %s", (raw, decimals, out) => {
    expect(formatTokenAmount(raw, decimals)).toBe(out);
  });

  it("refuses non-integers and bad decimals", () => {
    expect(() => formatTokenAmount("1.5", 6)).toThrow(RangeError);
    expect(() => formatTokenAmount("1e6", 6)).toThrow(RangeError);
    expect(() => formatTokenAmount("1", -1)).toThrow(RangeError);
  });
});

describe("toDecimalString", () => {
  it.each([
    [0.1, "0.1"],
    [1e-7, "0.0000001"],
    [1.5e-7, "0.00000015"],
    [1e21, "1000000000000000000000"],
    ["0.5e-3", "0.0005"],
    ["3742.05353900", "3742.05353900"],
  ])("%s → %s", (v, out) => {
    expect(toDecimalString(v)).toBe(out);
  });
});
