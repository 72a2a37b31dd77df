// Untrusted text: strings from SpacePay or from the model that are shown to a model or a person
// (tool output, resources, confirmation prompts, the audit summary). One cleaner, used everywhere.

// Every control (Cc), format (Cf: bidi, zero-width, soft hyphen, U+061C, U+180E, U+2060–2064 and the
// U+E0000–E007F tags), line/paragraph separator (Zl, Zp) and lone surrogate (Cs), plus characters that
// draw nothing but are classed as marks or letters: variation selectors, the combining grapheme
// joiner, Mongolian free variation selectors and the Hangul fillers.
const INVISIBLE_CHARS =
  "\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}\\u{E0000}-\\u{E007F}\\uFE00-\\uFE0F\\u{E0100}-\\u{E01EF}" +
  "\\u034F\\u180B-\\u180F\\u115F\\u1160\\u3164\\uFFA0";
// The class lists combining marks (variation selectors, U+034F) one by one, on purpose.
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = new RegExp(`[${INVISIBLE_CHARS}]`, "gu");
// eslint-disable-next-line no-misleading-character-class
const HAS_INVISIBLE = new RegExp(`[${INVISIBLE_CHARS}]`, "u");
// ANSI escape sequences (CSI … final byte), removed whole rather than leaving their printable tail.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-_]/g;

/** `value` without ANSI escapes and without any invisible or control character. */
export function cleanText(value: string): string {
  // Every string of every answer passes here, and almost none needs cleaning: one scan decides. An
  // ANSI escape starts with ESC, a control character, so a string without one has no escape either.
  if (!HAS_INVISIBLE.test(value)) return value;
  return value.replace(ANSI, "").replace(INVISIBLE, "");
}

/** `value` with each invisible or control character written as a visible escape (\u200B, \u{E0041}). */
export function showInvisible(value: string): string {
  return value.replace(INVISIBLE, (ch) => {
    const code = ch.codePointAt(0)!.toString(16).toUpperCase();
    return code.length <= 4 ? `\\u${code.padStart(4, "0")}` : `\\u{${code}}`;
  });
}

/** The first invisible or control character in `value`, as a visible escape, or null when there is none. */
export function invisibleChar(value: string): string | null {
  const m = HAS_INVISIBLE.exec(value);
  return m ? showInvisible(m[0]) : null;
}

/** At most `max` code points of `value` (never half a surrogate pair), with "…" when cut. */
export function truncate(value: string, max: number): string {
  // Fast path: `max` UTF-16 units hold at most `max` code points.
  if (value.length <= max) return value;
  const points = Array.from(value);
  return points.length <= max ? value : points.slice(0, max).join("") + "…";
}

/** Cleaned, cut to `max` code points and quoted as a JSON string, so it reads as data, not as text. */
export function quoteText(value: string, max: number): string {
  return JSON.stringify(truncate(cleanText(value), max));
}

/** Multi-line text with every line cleaned: the line breaks are ours, everything else is data. */
export function cleanLines(text: string): string {
  return text.split("\n").map(cleanText).join("\n");
}

/** A JSON-like value with every string (keys included) cleaned; the last line of defence for output. */
export function cleanDeep<T>(value: T): T {
  if (typeof value === "string") return cleanText(value) as T;
  if (Array.isArray(value)) return value.map(cleanDeep) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[cleanText(k)] = cleanDeep(v);
    return out as T;
  }
  return value;
}
