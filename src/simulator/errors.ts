// The documented error envelope, and the error type handlers throw to produce it.
import type { WireErrorBody } from "../spacepay/wire.js";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "idempotency_error"
  | "rate_limit_error"
  | "api_error";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): WireErrorBody {
    const error: WireErrorBody["error"] = { type: this.type, message: this.message, code: this.code };
    if (this.param !== undefined) error.param = this.param;
    return { error };
  }
}

export const invalid = (code: string, message: string, param?: string): ApiError =>
  new ApiError(400, "invalid_request_error", code, message, param);

export const notFound = (code: string, message: string): ApiError =>
  new ApiError(404, "not_found_error", code, message);

export const unauthenticated = (code: string, message: string): ApiError =>
  new ApiError(401, "authentication_error", code, message);
