// What a route is: method, path pattern, the credential it needs, and a handler from context to reply.
import type { IncomingHttpHeaders } from "node:http";
import type { FaultSet } from "../faults.js";
import type { IdempotencyStore } from "../idempotency.js";
import type { Payment } from "../model.js";
import type { Recorder } from "../recorder.js";
import type { Sim } from "../state.js";
import type { SimulatorControl } from "../control.js";

export type AuthKind = "none" | "secretKey" | "paymentSecret" | "bearer";

/** Everything one running simulator owns, shared by the routes. */
export interface Runtime {
  sim: Sim;
  faults: FaultSet;
  recorder: Recorder;
  idempotency: IdempotencyStore;
  control: SimulatorControl;
}

export interface Ctx {
  rt: Runtime;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** The payment a payment secret unlocked (payment-secret routes only). */
  payment?: Payment;
}

export interface Reply {
  status: number;
  /** Serialised as JSON unless `text` is set. */
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** `/v1/…/:param/…` */
  path: string;
  auth: AuthKind;
  /** Idempotency scope when the route honours `Idempotency-Key`. */
  idempotencyScope?: (ctx: Ctx) => string;
  handle(ctx: Ctx): Reply | Promise<Reply>;
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
