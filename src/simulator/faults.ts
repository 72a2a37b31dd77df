// Fault injection: rules matched by method and path (glob or regex) that delay, fail, reset, mangle or
// hang requests, each for a number of requests or with a seeded probability.
import { invalid } from "./errors.js";
import { createRng, type Rng } from "./rng.js";

export const FAULT_KINDS = [
  "latency",
  "error",
  "reset",
  "reset-after",
  "truncate",
  "html",
  "empty",
  "hang",
  "hang-after",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A fault to inject. `reset`, `hang` and `error` stop the request before it is processed; `reset-after`,
 * `hang-after`, `truncate`, `html` and `empty` let it be processed (its effect persists) and spoil only
 * the response; `latency` delays processing.
 */
export interface FaultSpec {
  kind: FaultKind;
  /** HTTP method, case-insensitive; omitted or `*` matches any. */
  method?: string;
  /** Path glob (`*` within one segment, `**` across segments), or a RegExp in process. Default: every path. */
  path?: string | RegExp;
  /** A regular expression source, for the HTTP control API (alternative to `path`). */
  pathRegex?: string;
  /** Delay for `latency` (ms). */
  latencyMs?: number;
  /** Status for `error` (required), or to override the processed status for `truncate`/`html`/`empty`. */
  status?: number;
  /** `Retry-After` header value sent with an `error` (seconds or an HTTP date). */
  retryAfter?: number | string;
  /** Fire for the next N matching requests, then retire. Default: unlimited. */
  count?: number;
  /** Chance (0–1) of firing on each matching request, from the seeded RNG. Default: 1. */
  probability?: number;
}

export interface FaultRule {
  id: string;
  spec: FaultSpec;
  /** Requests this rule has fired on. */
  fired: number;
  /** Remaining firings, or null when unlimited. */
  remaining: number | null;
}

export class FaultSet {
  private rules: Array<FaultRule & { method: string; pattern: RegExp }> = [];
  private nextId = 1;
  private rng: Rng;

  constructor(private readonly seed: number) {
    this.rng = createRng(seed, "faults");
  }

  add(spec: FaultSpec): FaultRule {
    validateSpec(spec);
    const rule = {
      id: `fault_${this.nextId++}`,
      spec,
      fired: 0,
      remaining: spec.count ?? null,
      method: (spec.method ?? "*").toUpperCase(),
      pattern: compilePath(spec),
    };
    this.rules.push(rule);
    return publicRule(rule);
  }

  list(): FaultRule[] {
    return this.rules.map(publicRule);
  }

  /** Removes one rule, or all when `id` is omitted; returns how many were removed. */
  clear(id?: string): number {
    const before = this.rules.length;
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
    return before - this.rules.length;
  }

  reset(): void {
    this.rules = [];
    this.nextId = 1;
    this.rng = createRng(this.seed, "faults");
  }

  /** The first rule that fires for this request, if any (counting it as fired). */
  take(method: string, path: string): FaultSpec | undefined {
    if (this.rules.length === 0) return undefined;
    for (const rule of this.rules) {
      if (rule.method !== "*" && rule.method !== method) continue;
      if (!rule.pattern.test(path)) continue;
      if (rule.spec.probability !== undefined && this.rng.next() >= rule.spec.probability) continue;
      rule.fired++;
      if (rule.remaining !== null) {
        rule.remaining--;
        if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return rule.spec;
    }
    return undefined;
  }
}

function publicRule(rule: FaultRule): FaultRule {
  return { id: rule.id, spec: rule.spec, fired: rule.fired, remaining: rule.remaining };
}

function validateSpec(spec: FaultSpec): void {
  if (!(FAULT_KINDS as readonly string[]).includes(spec.kind)) {
    throw invalid("parameter_invalid_enum", `kind must be one of: ${FAULT_KINDS.join(", ")}`, "kind");
  }
  if (spec.kind === "error" && !isErrorStatus(spec.status)) {
    throw invalid("parameter_invalid", "an error fault needs status 400–599", "status");
  }
  if (spec.status !== undefined && !isAnyStatus(spec.status)) {
    throw invalid("parameter_out_of_range", "status must be an HTTP status 200–599", "status");
  }
  if (spec.kind === "latency" && !(typeof spec.latencyMs === "number" && spec.latencyMs >= 0)) {
    throw invalid("parameter_missing", "a latency fault needs latencyMs ≥ 0", "latencyMs");
  }
  if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count >= 1)) {
    throw invalid("parameter_out_of_range", "count must be an integer ≥ 1", "count");
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw invalid("parameter_out_of_range", "probability must be between 0 and 1", "probability");
  }
}

const isErrorStatus = (s: unknown): s is number =>
  typeof s === "number" && Number.isInteger(s) && s >= 400 && s <= 599;
const isAnyStatus = (s: unknown): s is number =>
  typeof s === "number" && Number.isInteger(s) && s >= 200 && s <= 599;

function compilePath(spec: FaultSpec): RegExp {
  if (spec.path instanceof RegExp) return spec.path;
  if (spec.pathRegex !== undefined) {
    try {
      return new RegExp(spec.pathRegex);
    } catch {
      throw invalid("parameter_invalid", "pathRegex is not a valid regular expression", "pathRegex");
    }
  }
  if (spec.path === undefined) return /^/;
  return globToRegExp(spec.path);
}

/** `*` matches within one path segment, `**` across segments; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        out += ".*";
        i++;
      } else out += "[^/]*";
    } else out += ch.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
