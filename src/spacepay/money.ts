// Money formatting without floating point: fiat is integer cents, token amounts are integer strings
// in the token's smallest unit (BigInt throughout).

/** 123456 → "1234.56": dollars as a plain decimal string, the wire's form (`settledAmountUsd`).
 * Accepts a safe integer or a bigint. */
export function centsToDollars(cents: number | bigint): string {
  if (typeof cents === "number" && !Number.isSafeInteger(cents)) {
    throw new RangeError(`expected an integer number of cents, got ${cents}`);
  }
  const n = BigInt(cents);
  const abs = n < 0n ? -n : n;
  return `${n < 0n ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** 123456 → "$1,234.56"; -5 → "-$0.05": dollars for people (tool text, prompts, refusals). */
export function formatCents(cents: number | bigint): string {
  const plain = centsToDollars(cents);
  const neg = plain.startsWith("-");
  const [whole = "", rest = ""] = (neg ? plain.slice(1) : plain).split(".");
  return `${neg ? "-" : ""}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${rest}`;
}

/** ("1500000", 6) → "1.5": an exact decimal string, trailing zeros trimmed. */
export function formatTokenAmount(raw: string | bigint, decimals: number): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) {
    throw new RangeError(`token decimals must be an integer from 0 to 255, got ${decimals}`);
  }
  const text = typeof raw === "bigint" ? raw.toString() : raw.trim();
  if (!/^-?[0-9]+$/.test(text)) throw new RangeError(`not an integer token amount: "${text.slice(0, 80)}"`);
  const n = BigInt(text);
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

/**
 * A number or numeric string as a plain decimal string: String() for ordinary numbers, with
 * exponent notation (1e-7, 1e21) expanded so no float artefact reaches the user.
 */
export function toDecimalString(value: number | string): string {
  const s = typeof value === "number" ? String(value) : value.trim();
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?[eE]([-+]?[0-9]+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = "", expText] = m;
  const exp = Number(expText);
  const digits = int! + frac;
  const point = int!.length + exp;
  let out: string;
  if (point <= 0) out = "0." + "0".repeat(-point) + digits;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = digits.slice(0, point) + "." + digits.slice(point);
  out = out.includes(".") ? out.replace(/0+$/, "").replace(/\.$/, "") : out;
  return sign + out.replace(/^0+(?=\d)/, "");
}
