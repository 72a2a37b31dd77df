// Validates simulator responses against the published OpenAPI document with a real JSON-Schema validator:
// OpenAPI 3.0 schemas are converted (nullable → type unions, refs kept under one root) and closed, so a
// response with a field the schema does not list fails too.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// SpacePay's published OpenAPI 3.0 document "SpacePay External API", copied byte for byte from the
// team's shared reference on 2026-12-01 (vendored so a fresh clone tests on its own).
export const OPENAPI_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/spacepay-openapi.json",
);
const ROOT_ID = "https://spacepay.test/openapi.json";
// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

/** The documented error envelope (the OpenAPI file gives error responses no schema). */
export const ERROR_ENVELOPE: Json = {
  type: "object",
  additionalProperties: false,
  required: ["error"],
  properties: {
    error: {
      type: "object",
      additionalProperties: false,
      required: ["type", "message", "code"],
      properties: {
        type: { type: "string", minLength: 1 },
        message: { type: "string", minLength: 1 },
        code: { type: "string", minLength: 1 },
        param: { type: "string", minLength: 1 },
      },
    },
  },
};

/**
 * OpenAPI 3.0 schema → JSON Schema: `nullable: true` becomes a `null` type/enum member (or an `anyOf`
 * with `null` around `$ref`/`allOf`), `example` is dropped, local refs point into `rootId`, and with
 * `closed` every object that lists properties rejects others.
 */
export function convertSchema(schema: unknown, rootId: string, closed: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((s) => convertSchema(s, rootId, closed));
  if (schema === null || typeof schema !== "object") return schema;
  const src = schema as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === "nullable" || key === "example") continue;
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/")) out.$ref = `${rootId}${value}`;
    else if (key === "properties" && value && typeof value === "object") {
      out.properties = Object.fromEntries(
        Object.entries(value as Json).map(([k, v]) => [k, convertSchema(v, rootId, closed)]),
      );
    } else out[key] = convertSchema(value, rootId, closed);
  }
  if (closed && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (src.nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  // `nullable` beside `allOf`/`$ref` (e.g. `receipt`): either null or the referenced schema.
  const { description, ...rest } = out;
  return { ...(description === undefined ? {} : { description }), anyOf: [{ type: "null" }, rest] };
}

export interface Contract {
  /** Errors (empty when valid) for `body` as the response `status` of `method path` in the OpenAPI file. */
  checkResponse(method: string, pathTemplate: string, status: number, body: unknown): string[];
  /** Errors for `body` against `#/components/schemas/<name>`. */
  checkSchema(name: string, body: unknown): string[];
  /** Errors for `body` against the documented error envelope. */
  checkError(body: unknown): string[];
  /** The operations the OpenAPI file lists, as `METHOD /path`. */
  operations(): string[];
}

export function loadContract(file = OPENAPI_FILE): Contract {
  const doc = JSON.parse(readFileSync(file, "utf8")) as {
    paths: Record<
      string,
      Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
    >;
    components: { schemas: Json };
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema({
    $id: ROOT_ID,
    components: { schemas: convertSchema(doc.components.schemas, ROOT_ID, true) },
  });
  const cache = new Map<string, ValidateFunction>();
  const compile = (key: string, make: () => unknown): ValidateFunction => {
    let fn = cache.get(key);
    if (!fn) {
      fn = ajv.compile(make() as Json);
      cache.set(key, fn);
    }
    return fn;
  };
  const run = (fn: ValidateFunction, body: unknown): string[] =>
    fn(body)
      ? []
      : (fn.errors ?? []).map(
          (e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
        );

  return {
    checkResponse(method, pathTemplate, status, body) {
      const op = doc.paths[pathTemplate]?.[method.toLowerCase()];
      const schema = op?.responses?.[String(status)]?.content?.["application/json"]?.schema;
      if (!schema) return [`no response schema for ${method} ${pathTemplate} ${status}`];
      return run(
        compile(`${method} ${pathTemplate} ${status}`, () => convertSchema(schema, ROOT_ID, true)),
        body,
      );
    },
    checkSchema(name, body) {
      if (!(name in doc.components.schemas)) return [`no schema ${name}`];
      return run(
        compile(`schema ${name}`, () => ({ $ref: `${ROOT_ID}#/components/schemas/${name}` })),
        body,
      );
    },
    checkError(body) {
      return run(
        compile("error envelope", () => ERROR_ENVELOPE),
        body,
      );
    },
    operations() {
      return Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      );
    },
  };
}
