// What a tool is: static data (name, schemas, annotations, whether it moves money) plus a handler
// that receives injected dependencies. Registration, the error boundary and the money-moving guard
// all work from this one shape.
import type { z } from "zod";
import type { SpacePayApi } from "../spacepay/types.js";

export type Mode = "test" | "live" | "demo";

/** Where payment secrets live: in memory by default, SQLite once durable state is configured
 * (opened on first use, so either form may answer asynchronously). */
export interface SecretStore {
  get(paymentId: string): string | undefined | Promise<string | undefined>;
  put(paymentId: string, secret: string): void | Promise<void>;
}

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
  /** How often wait_for_payment polls (default 2000 ms). */
  pollIntervalMs?: number;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What a money-moving call is about to do, for confirmation prompts, policy checks and the audit log. */
export interface MoneySummary {
  action: "create_payment" | "create_deposit" | "create_withdrawal";
  /** Cents; null for deposits (the customer chooses the amount). */
  amountInCents: number | null;
  currency: string;
  orderId?: string;
  /** CAIP-2, withdrawals only. */
  chainId?: string;
  recipientAddress?: string;
  /** Payment requests: where the customer lands after paying. */
  redirectUrl?: string;
  /** Deposits: the customer's stable reference. */
  customerRefId?: string;
}

export interface ToolResult<S> {
  structured: S;
  text: string;
  /** What the API said about the call, for the audit log (never shown as is). */
  meta?: { ids?: Record<string, string>; requestId?: string | null; replayed?: boolean };
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
  /** Money-moving tools are wrapped by the guard (confirmation, limits, idempotency, audit). */
  movesMoney?: {
    kind: "payment" | "withdrawal";
    /** Converts the arguments once, before the guard, so the summary, the guard, the handler and the
     * client see the same values; throws ToolInputError for a value it cannot convert. */
    normalize?(args: z.infer<z.ZodObject<In>>): z.infer<z.ZodObject<In>>;
    summarize(args: z.infer<z.ZodObject<In>>): MoneySummary;
  };
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
