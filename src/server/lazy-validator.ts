// The JSON Schema validator the SDK uses for elicitation answers, loaded on first need. Ajv and its
// formats are ~230 kB of JavaScript whose module body runs at import: paying that on every start,
// for sessions that mostly never confirm anything, was the largest part of the cold start. The SDK
// calls getValidator() synchronously, only after a client has answered an elicitation, so whoever
// sends one awaits loadValidator() first (create-server.ts does, before elicitInput).
import type { jsonSchemaValidator } from "@modelcontextprotocol/server";
import type { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";

let ajv: AjvJsonSchemaValidator | null = null;
let loading: Promise<void> | null = null;

/** Loads Ajv once per process (later calls share the first load). */
export function loadValidator(): Promise<void> {
  loading ??= import("@modelcontextprotocol/server/validators/ajv").then((m) => {
    ajv = new m.AjvJsonSchemaValidator();
  });
  return loading;
}

export const lazyValidator: jsonSchemaValidator = {
  getValidator(schema) {
    if (!ajv) throw new Error("JSON Schema validator used before loadValidator() resolved");
    return ajv.getValidator(schema);
  },
};
