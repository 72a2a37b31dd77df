// What a tool is: static data (name, schemas, annotations, whether it moves money) plus a handler
// that receives injected dependencies. Registration, the error boundary and the money-moving guard
// all work from this one shape.
import type { z } from "zod";
import type { Guarded, Mode, SecretStore, ToolResult } from "../domain.js";
import type { SpacePayApi } from "../spacepay/types.js";
import type { PaymentWatcher } from "./payment-watch.js";
import type { OrderIndex } from "../safety/order-index-sync.js";

/** What the server knows about its own deployment, for tool output and spacepay://account. */
export interface ServerInfo {
  mode: Mode;
  apiHost: string;
}

export interface ToolContext {
  api: SpacePayApi;
  secrets: SecretStore;
  info: ServerInfo;
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
  /** Sends notifications/progress when the client asked for progress; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Idempotency key chosen by the money-moving guard for this call, when it chose one. */
  idempotencyKey?: string;
  /** Current time; injectable for tests. */
  now(): Date;
  /** The process's one payment poll loop (wait_for_payment listens to it). */
  watcher: PaymentWatcher;
  /** The order index (list_payments, create_payment); absent when the server has none. */
  orderIndex?: OrderIndex;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition<
  In extends z.ZodRawShape = z.ZodRawShape,
  Out extends z.ZodRawShape = z.ZodRawShape,
> {
  name: string;
  title: string;
  description: string;
  inputSchema: In;
  outputSchema: Out;
  annotations: ToolAnnotations;
  /** Set on the tools the guard wraps (confirmation, limits, idempotency, audit): those that move
   * money or ask a customer for it. */
  guarded?: Guarded<z.infer<z.ZodObject<In>>>;
  handler(args: z.infer<z.ZodObject<In>>, ctx: ToolContext): Promise<ToolResult<z.infer<z.ZodObject<Out>>>>;
}

/** Type helper so each tool module gets full inference from its own schemas. */
export function defineTool<In extends z.ZodRawShape, Out extends z.ZodRawShape>(
  def: ToolDefinition<In, Out>,
): ToolDefinition<In, Out> {
  return def;
}

/** A tool with its schema types erased, for the registry array. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any>;
