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
