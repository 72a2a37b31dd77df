// Human-readable amounts for refusals, confirmation prompts and summaries (local to the guard so it
// does not depend on the client's money helpers).

/** Integer cents as dollars, "$1,234.56", using integer arithmetic only. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) return `${cents} cents`;
  const sign = cents < 0 ? "-" : "";
  const abs = BigInt(Math.abs(cents));
  const dollars = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const rest = (abs % 100n).toString().padStart(2, "0");
  return `${sign}$${dollars}.${rest}`;
}
