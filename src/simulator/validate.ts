// Request validation mirroring the OpenAPI schemas: each failure is a 400 invalid_request_error naming `param`.
import { invalid } from "./errors.js";

export type Body = Record<string, unknown>;

/** A missing body counts as `{}`; anything but a JSON object is rejected. */
export function asObject(body: unknown): Body {
  if (body === undefined) return {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalid("invalid_body", "The request body must be a JSON object");
  }
  return body as Body;
}

interface StringRule {
  required?: boolean;
  maxLength?: number;
  url?: boolean;
  pattern?: RegExp;
  patternCode?: string;
  patternMessage?: string;
}

export function str(body: Body, key: string, rule: StringRule & { required: true }): string;
export function str(body: Body, key: string, rule?: StringRule): string | undefined;
export function str(body: Body, key: string, rule: StringRule = {}): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (rule.required) throw invalid("parameter_missing", `${key} is required`, key);
    return undefined;
  }
  if (typeof value !== "string") throw invalid("parameter_invalid_type", `${key} must be a string`, key);
  if (rule.required && value.length === 0)
    throw invalid("parameter_missing", `${key} must not be empty`, key);
  if (rule.maxLength !== undefined && value.length > rule.maxLength) {
    throw invalid("parameter_too_long", `${key} must be at most ${rule.maxLength} characters`, key);
  }
  if (rule.url && !isHttpUrl(value))
    throw invalid("parameter_invalid_url", `${key} must be an http(s) URL`, key);
  if (rule.pattern && !rule.pattern.test(value)) {
    throw invalid(rule.patternCode ?? "parameter_invalid", rule.patternMessage ?? `${key} is malformed`, key);
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export function oneOf<T extends string>(
  body: Body,
  key: string,
  values: readonly T[],
  required = false,
): T | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw invalid("parameter_missing", `${key} is required`, key);
    return undefined;
  }
  if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
    throw invalid("parameter_invalid_enum", `${key} must be one of: ${values.join(", ")}`, key);
  }
  return value as T;
}

interface IntRule {
  required?: boolean;
  min: number;
  max: number;
  /** Error code for a wrong value (the API documents `invalid_amount` for amounts). */
  code?: string;
}

export function int(body: Body, key: string, rule: IntRule & { required: true }): number;
export function int(body: Body, key: string, rule: IntRule): number | undefined;
export function int(body: Body, key: string, rule: IntRule): number | undefined {
  const value = body[key];
  const code = rule.code ?? "parameter_out_of_range";
  if (value === undefined || value === null) {
    if (rule.required) throw invalid("parameter_missing", `${key} is required`, key);
    return undefined;
  }
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalid(rule.code ?? "parameter_invalid_type", `${key} must be an integer`, key);
  }
  if (value < rule.min || value > rule.max) {
    throw invalid(code, `${key} must be between ${rule.min} and ${rule.max}`, key);
  }
  return value;
}

/** Query enums; a blank value counts as absent. */
export function queryEnum<T extends string>(
  q: URLSearchParams,
  key: string,
  values: readonly T[],
): T | undefined {
  const value = q.get(key);
  if (value === null || value === "") return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw invalid("parameter_invalid_enum", `${key} must be one of: ${values.join(", ")}`, key);
  }
  return value as T;
}

/** Query integers such as `limit` and `offset`; a blank value takes the default. */
export function queryInt(
  q: URLSearchParams,
  key: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const value = q.get(key);
  if (value === null || value === "") return fallback;
  if (!/^-?\d+$/.test(value.trim()))
    throw invalid("parameter_invalid_integer", `${key} must be an integer`, key);
  const n = Number(value);
  if (n < min || n > max)
    throw invalid("parameter_out_of_range", `${key} must be between ${min} and ${max}`, key);
  return n;
}

export function queryString(q: URLSearchParams, key: string, maxLength = 1000): string | undefined {
  const value = q.get(key);
  if (value === null || value === "") return undefined;
  if (value.length > maxLength) {
    throw invalid("parameter_too_long", `${key} must be at most ${maxLength} characters`, key);
  }
  return value;
}
