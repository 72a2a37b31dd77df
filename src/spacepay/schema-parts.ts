// The pieces every SpacePay response schema is built from (schemas.ts): lenient readers of numbers,
// amounts, chain ids and status words, the registry's chains and tokens, and pages. Lenient: every
// documented variant reads into one shape; unknown fields are kept, missing nullable fields become null.
import { z } from "zod";
import { chainName, knownChain, tryCaip2 } from "./chains.js";
import { toDecimalString } from "./money.js";
import { PAYMENT_STATUSES, PAYMENT_TYPES, QUOTE_STATUSES, WITHDRAWAL_STATUSES } from "./wire.js";
import type { WirePage as Page, WirePagination as Pagination } from "./wire.js";

// ---- building blocks ----

/** Unknown fields from the API are kept (lenient parsing), typed as unknown. */
export type Passthrough = { [extra: string]: unknown };

/** Says in the type what the loose schemas do at run time: a shape keeps the fields it did not name. */
export const keep = <T extends object>(value: T): T & Passthrough => value as T & Passthrough;

// A default, not a transform: every answer has a dozen such fields, and a transform is a pipe per field.
export const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().default(null);

/** A number, or a numeric string (some gateways stringify numbers). */
export const num = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?[0-9]+(\.[0-9]+)?$/, "expected a number")
    .transform(Number),
]);
export const optNum = nullable(num);
export const optStr = nullable(z.string());

/** An integer amount in a token's smallest unit, as a decimal string. */
export const rawAmount = z.union([
  z
    .string()
    .trim()
    .regex(/^-?[0-9]+$/, "expected an integer amount string"),
  z
    .number()
    .int()
    .transform((n) => toDecimalString(n)),
]);
/** A decimal value (rate, dollars) as a string without float artefacts. */
export const decimal = z.union([z.string().trim(), z.number().transform((n) => toDecimalString(n))]);

/** Chain id as a number (doc examples) or CAIP-2 (OpenAPI); always CAIP-2 out. */
export const chainRef = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const id = tryCaip2(v);
  if (id === null) {
    ctx.addIssue({ code: "custom", message: "expected a chain id (number or CAIP-2 string)" });
    return z.NEVER;
  }
  return id;
});

/**
 * One of `values`, in any case and with stray spaces. One transform, not a transform piped into an enum:
 * every quote of every answer has a status, and a pipe is a second schema run per field.
 */
export const lowerEnum = <const T extends readonly [string, ...string[]]>(values: T) => {
  const allowed = new Set<string>(values);
  const expected = values.map((v) => JSON.stringify(v)).join("|");
  return z.string().transform((s, ctx): T[number] => {
    const v = s.trim().toLowerCase();
    if (allowed.has(v)) return v as T[number];
    ctx.addIssue({ code: "custom", message: `Invalid option: expected one of ${expected}` });
    return z.NEVER;
  });
};

export const paymentStatus = lowerEnum(PAYMENT_STATUSES);
export const quoteStatus = lowerEnum(QUOTE_STATUSES);
export const withdrawalStatus = lowerEnum(WITHDRAWAL_STATUSES);
export const paymentType = lowerEnum(PAYMENT_TYPES);

/** A deposit address as DepositAddressDto (`.address`) or a bare string; null when absent. */
export const depositAddress = z
  .union([z.string(), z.looseObject({ address: z.string() })])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === "string" ? v : v.address));

// ---- registry ----

export const ChainSchema = z
  .looseObject({
    chainId: chainRef,
    name: z.string().optional(),
    nativeSymbol: z.string().optional(),
    nativeDecimals: num.optional(),
    isEnabled: z.boolean().optional(),
    isTestnet: z.boolean().optional(),
  })
  .transform((c) => {
    const known = knownChain(c.chainId);
    return keep({
      ...c,
      chainId: c.chainId,
      name: c.name ?? chainName(c.chainId),
      nativeSymbol: c.nativeSymbol ?? known?.nativeSymbol ?? "",
      nativeDecimals: c.nativeDecimals ?? known?.nativeDecimals ?? 18,
      isEnabled: c.isEnabled ?? true,
      isTestnet: c.isTestnet ?? known?.isTestnet ?? false,
    });
  });

/** A chain the response did not describe, built from the chain id (marked `inferred: true`). */
export function inferChain(caip2: string): Chain {
  const known = knownChain(caip2);
  return {
    chainId: caip2,
    name: chainName(caip2),
    nativeSymbol: known?.nativeSymbol ?? "",
    nativeDecimals: known?.nativeDecimals ?? 18,
    isEnabled: true,
    isTestnet: known?.isTestnet ?? false,
    inferred: true,
  };
}

/** A token whose `chain` may be missing (the list-payments doc example omits it). */
export const TokenPartSchema = z.looseObject({
  id: z.string(),
  symbol: z.string(),
  contractAddress: z.string().transform((s) => s.trim().toLowerCase()),
  decimals: num,
  chain: ChainSchema.optional(),
  chainId: chainRef.optional(),
  type: z.string().optional(),
  assetType: z.string().optional(),
  status: z.string().optional(),
  tokenPriceUsd: optNum,
});
export type TokenPart = z.output<typeof TokenPartSchema>;

export function finishToken(t: TokenPart, fallbackChainId: string | null) {
  const { chainId, chain, ...rest } = t;
  const id = chain?.chainId ?? chainId ?? fallbackChainId;
  if (!chain && !id) return null;
  return keep({ ...rest, chain: chain ?? inferChain(id!) });
}

/** Where something priced in a token (a quote, a balance) is: its own chainId, else its token's; null if neither says. */
export function onChain(chainId: string | undefined, part: TokenPart) {
  const id = chainId ?? part.chain?.chainId ?? part.chainId ?? null;
  const token = finishToken(part, id);
  return id && token ? { chainId: id, token } : null;
}

export const TokenSchema = TokenPartSchema.transform((t, ctx) => {
  const token = finishToken(t, null);
  if (!token) {
    ctx.addIssue({ code: "custom", message: "token has neither chain nor chainId", path: ["chain"] });
    return z.NEVER;
  }
  return token;
});

// ---- pages ----

const PaginationSchema = z.looseObject({
  total: num.optional(),
  limit: num.optional(),
  offset: num.optional(),
  hasMore: z.boolean().optional(),
  totalPages: num.optional(),
  currentPage: num.optional(),
});

/** `{data, pagination}` or a bare array; missing pagination fields are derived from what arrived. */
export function pageSchema<T>(item: z.ZodType<T>): z.ZodType<Page<T>> {
  const page = z.object({ data: z.array(item), pagination: PaginationSchema.optional() });
  return z
    .union([page, z.array(item).transform((data) => ({ data, pagination: undefined }))])
    .transform(({ data, pagination: p }): Page<T> => {
      const limit = p?.limit ?? data.length;
      const offset = p?.offset ?? 0;
      const total = p?.total ?? offset + data.length;
      const pagination: Pagination = {
        total,
        limit,
        offset,
        hasMore: p?.hasMore ?? offset + data.length < total,
        totalPages: p?.totalPages ?? (limit > 0 ? Math.ceil(total / limit) : 1),
        currentPage: p?.currentPage ?? (limit > 0 ? Math.floor(offset / limit) + 1 : 1),
      };
      return { data, pagination };
    });
}

export type Chain = z.output<typeof ChainSchema>;
