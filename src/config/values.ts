// Value schemas for settings. Each one parses the trimmed, non-blank string a flag, variable or file
// gave, and carries its own "accepted" text (zod's description), so help, README and error messages
// say what the schema checks without a second copy of the rule.
import path from "node:path";
import { z } from "zod";
import { parseStateKey, STATE_KEY_ACCEPTED } from "../safety/state-key.js";
import { evmAddressProblem, isEvmAddress, tryCaip2 } from "../spacepay/chains.js";
import { SPACEPAY_API, type AllowlistEntry } from "../domain.js";

/** A setting's value schema: input is a string, output T, description the accepted values in words. */
export type Value<T> = z.ZodType<T, string>;

/** What a value schema accepts, in words. */
export function acceptedText(schema: z.ZodType): string {
  if (!schema.description) throw new Error("a setting's schema has no accepted text (describe it)");
  return schema.description;
}

/** Names that reach only this machine, as a bind address or as a URL's hostname ("[::1]"). */
export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** A custom-checked string: `problem(s)` names what is wrong, or null when it is fine. */
const checked = (problem: (s: string) => string | null) =>
  z.string().superRefine((s, ctx) => {
    const p = problem(s);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });

/** A URL, or the problem with it. */
function parseUrl(s: string): URL | string {
  try {
    return new URL(s);
  } catch {
    return "is not a URL";
  }
}

export const int = (min: number, max: number, note?: string): Value<number> =>
  z
    .string()
    .regex(/^[+-]?[0-9]+$/, "is not a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `is below the minimum ${min}`).max(max, `is above the maximum ${max}`))
    .describe(`an integer from ${min} to ${max}${note ? ` (${note})` : ""}`);

/** The one list of boolean spellings, as [true, false] pairs. */
const BOOLEAN_SPELLINGS = [
  ["true", "false"],
  ["1", "0"],
  ["yes", "no"],
] as const;
const TRUE: readonly string[] = BOOLEAN_SPELLINGS.map(([t]) => t);
const FALSE: readonly string[] = BOOLEAN_SPELLINGS.map(([, f]) => f);

export const bool = (): Value<boolean> =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .refine((s) => TRUE.includes(s) || FALSE.includes(s), "is not a boolean")
    .transform((s) => TRUE.includes(s))
    .describe(BOOLEAN_SPELLINGS.flat().join(", "));

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T): Value<T[number]> =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, { error: "is not one of the accepted values" }))
    .describe(values.join(", "));

/** A credential: one line, no spaces or control characters. */
export const secretString = (what: string): Value<string> =>
  z
    .string()
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), "contains whitespace or control characters")
    .describe(`${what}, on one line`);

/**
 * Webhook signing secrets: one, or two comma-separated while a rotation is under way (any of them may
 * sign a delivery). Each is a credential (secretString's rule) of at least 8 characters.
 */
export const webhookSecrets = (): Value<string[]> =>
  z
    .string()
    .transform((s) => [...new Set(s.split(",").map((x) => x.trim()))])
    .superRefine((list, ctx) => {
      const problem =
        list.length > 2
          ? "names more than two secrets (one, or two during a rotation)"
          : list.some((x) => x.length < 8)
            ? "has a secret shorter than 8 characters (or an empty one between commas)"
            : // eslint-disable-next-line no-control-regex
              list.some((x) => /[\s\u0000-\u001f\u007f]/.test(x))
              ? "contains whitespace or control characters"
              : null;
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe(
      "the endpoint's signing secret, or two comma-separated (new,old) during a rotation, each at least 8 characters with no whitespace",
    );

/**
 * A merchant secret key: its prefix picks the mode (sk_test_ testnet, any other sk_ live), and a real
 * key has more after it. Refused with what it looks like instead: the README's placeholder, a
 * publishable key, or anything else.
 */
export const merchantKey = (): Value<string> =>
  checked((s) => {
    const rest = s.startsWith("sk_test_") ? s.slice(8) : s.startsWith("sk_") ? s.slice(3) : null;
    if (/…|\.\.\./.test(s))
      return "is a placeholder, not a key: paste your own merchant secret key (SpacePay dashboard: Settings → Developers → API Keys)";
    if (/^pk_/.test(s)) return "is a publishable key (pk_…): the server needs the secret key (sk_…)";
    if (rest === null) return "does not start with sk_test_ or sk_";
    if (!/^[A-Za-z0-9_-]{8,}$/.test(rest))
      return "is too short or has characters a key does not have after its prefix";
    return null;
  }).describe("sk_test_ (testnet) or sk_ (live) followed by at least 8 of A-Z a-z 0-9 _ -");

export const pattern = (re: RegExp, problem: string, accepted: string): Value<string> =>
  z.string().regex(re, problem).describe(accepted);

/** Comma-separated names, trimmed, blanks and repeats dropped. */
export const list = (what: string): Value<string[]> =>
  z
    .string()
    .transform((s) => [
      ...new Set(
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ])
    .describe(`comma-separated ${what}`);

/** A path, resolved once here: a relative path must not change meaning when the working directory does. */
export const directory = (): Value<string> =>
  z
    .string()
    .transform((s) => path.resolve(s))
    .describe("a directory path");

/** A URL setting: `read` returns the value to keep, or the problem with the URL. */
const urlValue = (read: (url: URL) => { value: string } | { problem: string }) =>
  z.string().transform((s, ctx) => {
    const url = parseUrl(s);
    const out = typeof url === "string" ? { problem: url } : read(url);
    if ("value" in out) return out.value;
    ctx.addIssue({ code: "custom", message: out.problem });
    return z.NEVER;
  });

export const apiUrl = (): Value<string> =>
  urlValue((url) => {
    if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "is not an http(s) URL" };
    if (url.username || url.password) return { problem: "must not carry a user name or password" };
    if (url.search || url.hash) return { problem: "must not carry a query string or fragment" };
    const value = (url.origin + url.pathname).replace(/\/+$/, "");
    if (/\/v1$/i.test(value))
      return { problem: "ends in /v1, but the client adds /v1 to every path itself: drop the /v1" };
    return { value };
  }).describe(`an http(s) URL without /v1, e.g. ${SPACEPAY_API.testnet}`);

/** An OpenTelemetry collector's base URL (the SDK adds /v1/traces and /v1/metrics). */
export const otlpEndpoint = (): Value<string> =>
  checked((s) => {
    const url = parseUrl(s);
    if (typeof url === "string") return url;
    return url.protocol === "http:" || url.protocol === "https:" ? null : "is not an http(s) URL";
  }).describe("an http(s) URL, e.g. http://localhost:4318");

export const databaseUrl = (): Value<string> =>
  checked((s) => {
    const url = parseUrl(s);
    return typeof url !== "string" && ["postgres:", "postgresql:"].includes(url.protocol)
      ? null
      : "is not a postgres:// URL";
  }).describe("a postgres:// or postgresql:// URL");

export const allowlist = (): Value<AllowlistEntry[]> =>
  z
    .string()
    .transform((s, ctx): AllowlistEntry[] => {
      const out = new Map<string, AllowlistEntry>();
      for (const item of s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)) {
        const cut = item.lastIndexOf(":");
        const prefix = cut === -1 ? null : item.slice(0, cut);
        const rawAddress = cut === -1 ? item : item.slice(cut + 1);
        const chainId = prefix === null ? undefined : tryCaip2(prefix);
        if (chainId === null) {
          ctx.addIssue({ code: "custom", message: `entry "${item}" names an unknown chain "${prefix}"` });
          continue;
        }
        const evm = chainId === undefined || chainId.startsWith("eip155:");
        if (evm && !isEvmAddress(rawAddress)) {
          ctx.addIssue({
            code: "custom",
            message: `entry "${item}" is not an EVM address (0x and 40 hex digits)`,
          });
          continue;
        }
        const problem = evm ? evmAddressProblem(rawAddress) : null;
        if (problem) {
          ctx.addIssue({ code: "custom", message: `entry "${item}" ${problem}` });
          continue;
        }
        if (!rawAddress) {
          ctx.addIssue({ code: "custom", message: `entry "${item}" has no address` });
          continue;
        }
        const address = evm ? rawAddress.toLowerCase() : rawAddress;
        out.set(`${chainId ?? ""}|${address}`, chainId ? { chainId, address } : { address });
      }
      return [...out.values()];
    })
    .describe("comma-separated EVM addresses, optionally chain-qualified (eip155:8453:0xabc…)");

/** An OAuth issuer or resource URL: https, or plain http on loopback only (a test issuer). Kept as
 * typed: `iss` and `aud` are compared as exact strings, so no normalisation may change them. */
export const oauthUrl = (what: string): Value<string> =>
  checked((s) => {
    const url = parseUrl(s);
    if (typeof url === "string") return url;
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)))
      return "must be an https URL (plain http only on 127.0.0.1, localhost or ::1)";
    if (url.username || url.password || url.search || url.hash)
      return "must not carry a user name, password, query string or fragment";
    return null;
  }).describe(`${what} (https; http only on loopback)`);

/** The base URL people open approval pages on: https, or plain http on loopback; an origin, no path
 * (the pages are at <base>/approvals/, beside /mcp). Kept as its origin. */
export const publicUrl = (): Value<string> =>
  urlValue((url) => {
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)))
      return { problem: "must be an https URL (plain http only on localhost, 127.0.0.1 or ::1)" };
    if (url.username || url.password || url.search || url.hash || url.pathname.replace(/\/+$/, ""))
      return { problem: "must be an origin only (scheme, host, port), with no path, query or fragment" };
    return { value: url.origin };
  }).describe("an https origin, e.g. https://mcp.example.com (http only on loopback)");

export const stateKey = (): Value<Buffer> =>
  z
    .string()
    .transform((s, ctx) => {
      const parsed = parseStateKey(s);
      if (parsed.ok) return parsed.key;
      ctx.addIssue({ code: "custom", message: parsed.problem });
      return z.NEVER;
    })
    .describe(STATE_KEY_ACCEPTED);

/** Host names as a Host header carries them (no port), lower-cased. */
export const hostList = (what: string): Value<string[]> =>
  list(what)
    .pipe(
      z.array(z.string().regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i, "has an entry that is not a host name")),
    )
    .transform((hosts) => hosts.map((h) => h.toLowerCase()))
    .describe(`comma-separated ${what}`);

export const host = (note: string): Value<string> =>
  pattern(/^[^\s/]+$/, "is not a host name or IP address", `a host name or IP address; ${note}`);
