// Build-time stand-in for `@modelcontextprotocol/server/_shims` (scripts/build.mjs points the SDK's
// import here). The SDK's Node shim imports Ajv eagerly for its default validator; ours is the lazy
// one, which is the only validator our servers are given anyway (create-server.ts passes it).
import process from "node:process";
import { lazyValidator } from "./lazy-validator.js";

export class DefaultJsonSchemaValidator {
  getValidator = lazyValidator.getValidator;
}

export { process };
