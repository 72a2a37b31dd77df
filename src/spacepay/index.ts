// The SpacePay client package: the client, its errors, and the chain and money helpers.
export { SpacePayClient, createClientFromConfig, type SpacePayClientOptions } from "./client.js";
export * from "./errors.js";
export { classifyAttempts, failureOf, mayHaveBeenProcessed } from "./failure.js";
export * from "./chains.js";
export * from "./money.js";
export {
  HttpPipeline,
  encodePath,
  type AuthKind,
  type HttpOptions,
  type HttpRequest,
  type HttpResponse,
} from "./http.js";
export { backoffMs, parseRetryAfter, isRetryableStatus, type Sleep } from "./retry.js";
export type * from "./types.js";
