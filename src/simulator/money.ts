// Exact money arithmetic: fiat in integer cents, token amounts in smallest units, all BigInt.

/** Token amount (smallest units) worth `cents` at `rateCents` per whole token, rounded up so it covers the price. */
export function centsToAsset(cents: number, rateCents: bigint, decimals: number): bigint {
  const num = BigInt(cents) * 10n ** BigInt(decimals);
  return (num + rateCents - 1n) / rateCents;
}

/** USD cents that `amount` smallest units are worth, rounded down. */
export function assetToCents(amount: bigint, rateCents: bigint, decimals: number): bigint {
  return (amount * rateCents) / 10n ** BigInt(decimals);
}

/** `1234` → `"12.34"`. */
export function formatCents(cents: bigint | number): string {
  const c = BigInt(cents);
  const neg = c < 0n;
  const abs = neg ? -c : c;
  return `${neg ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** Smallest units to a plain decimal string without trailing zeros: `1500000`, 6 → `"1.5"`. */
export function formatUnits(amount: bigint, decimals: number): string {
  const base = 10n ** BigInt(decimals);
  const whole = amount / base;
  const frac = (amount % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole.toString();
}
