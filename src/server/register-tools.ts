// Tool registration in one loop: tools/list from the definitions, and tools/call with argument
// validation that names the field and the rule, the money-moving guard, and the error boundary.
import { z } from "zod";
import {
  ProtocolError,
  ProtocolErrorCode,
  inputRequired,
  isInputRequiredResult,
  type CallToolResult,
  type InputRequiredResult,
  type Server,
  type ServerContext,
  type Tool,
} from "@modelcontextprotocol/server";
import type { AnyTool, ToolContext } from "./tool.js";
import { callerApi } from "./call-log.js";
import type { Mode } from "../domain.js";
import { errorResult, moneyFailureNote, toErrorResult } from "./errors.js";
import { log, logEnabled } from "../log.js";
import { failureOf } from "../spacepay/failure.js";
import { cleanDeep, cleanLines, showInvisible } from "../text.js";
import type {
  AppApproval,
  ElicitFn,
  ElicitUrlFn,
  GuardedCall,
  GuardResult,
  ServerGuard,
} from "../safety/guard.js";
import { STATUSES, STATUS_NAMES } from "../safety/results.js";
import { approvalMeta, withAppLink } from "./apps.js";
import { DECIDE_LISTING, resolveDecision } from "./tools/decide-approval.js";
import { DECIDE_TOOL } from "./app-contract.js";
import type { RequestClient } from "./request-client.js";

/** "a, b: meaning; c: meaning": statuses that mean the same share one entry. */
function statusLegend(): string {
  const byMeaning = new Map<string, string[]>();
  for (const [name, meaning] of Object.entries(STATUSES)) {
    byMeaning.set(meaning, [...(byMeaning.get(meaning) ?? []), name]);
  }
  return [...byMeaning].map(([meaning, names]) => `${names.join(", ")}: ${meaning}`).join("; ");
}

/** Extra fields a guarded tool's structured output may carry (confirmation round-trips, declines). */
const guardOutputShape = {
  // Derived from the guard's one status table, so the schema cannot drift from what it answers.
  status: z.enum(STATUS_NAMES).describe(statusLegend()),
  message: z.string().describe("What happened and what to do next"),
  confirmationToken: z.string().optional(),
  expiresAt: z.string().optional(),
  summary: z.looseObject({ action: z.string(), amount: z.string().nullable() }).optional(),
};

// Keywords the advertised schemas leave out: every listed tool costs model context on every turn, and
// these only restate rules the server enforces itself (with errors naming the field and the rule) or
// that the field's description already gives. The zod schemas keep them all for validation.
const ADVERTISED_NOISE = new Set(["$schema", "minLength", "maxLength", "pattern", "propertyNames"]);

function lean(node: unknown, io: "input" | "output", top = false): unknown {
  if (Array.isArray(node)) return node.map((n) => lean(n, io));
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (ADVERTISED_NOISE.has(k)) continue;
    // zod's .int() adds the safe-integer range; it says nothing a model needs.
    if ((k === "maximum" || k === "minimum") && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    if (
      k === "additionalProperties" &&
      (v === false || (typeof v === "object" && v !== null && !Object.keys(v).length))
    ) {
      continue;
    }
    // Output shapes are for validation by clients, which treat every listed field as present anyway.
    if (io === "output" && k === "required") continue;
    // Nested empty shapes say nothing, but a tool's own schema keeps `properties: {}`: some clients and
    // validators expect it on every tool, even one without arguments.
    if (!top && k === "properties" && v !== null && typeof v === "object" && !Object.keys(v).length) continue;
    // `anyOf` of bare types says what `type: [..]` says in half the tokens.
    const leaned = lean(v, io);
    const types = k === "anyOf" ? bareTypes(leaned) : null;
    if (types) out.type = types;
    else out[k] = leaned;
  }
  return out;
}

/** The types of an `anyOf` whose members each say only `type`, else null. */
function bareTypes(members: unknown): string[] | null {
  if (!Array.isArray(members)) return null;
  const types: string[] = [];
  for (const m of members) {
    const keys = m !== null && typeof m === "object" ? Object.keys(m) : [];
    const type = (m as { type?: unknown } | null)?.type;
    if (keys.length !== 1 || typeof type !== "string") return null;
    types.push(type);
  }
  return types;
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Tool["inputSchema"] {
  return lean(z.toJSONSchema(schema, { io, unrepresentable: "any" }), io, true) as Tool["inputSchema"];
}

interface Prepared {
  tool: AnyTool;
  input: z.ZodObject;
  listing: Tool;
}

// Built once per tool per process, on first use: HTTP creates a server per request, and a stdio
// session should not pay for JSON Schema generation before the client asks for the list.
const preparedCache = new WeakMap<AnyTool, Prepared>();

function prepare(tool: AnyTool): Prepared {
  const cached = preparedCache.get(tool);
  if (cached) return cached;
  const input = z.strictObject(tool.inputSchema);
  let output: z.ZodObject = z.object(tool.outputSchema);
  if (tool.guarded) {
    // A guarded call may end before the API call (confirmation, decline), so the tool's own fields are optional.
    output = z.looseObject({ ...guardOutputShape, ...z.object(tool.outputSchema).partial().shape });
  }
  const prepared: Prepared = {
    tool,
    input,
    listing: {
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: jsonSchema(input, "input"),
      outputSchema: jsonSchema(output, "output") as Tool["outputSchema"],
      annotations: tool.annotations,
    },
  };
  preparedCache.set(tool, prepared);
  return prepared;
}

/** "`amountInCents`: Too small: expected number to be >=250; `foo`: Unrecognized key" */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === "unrecognized_keys") {
        // Names the model sent are shown with visible escapes: an invisible key is still named.
        return i.keys.map((k) => `\`${showInvisible(k)}\`: not an argument of this tool`).join("; ");
      }
      const field = i.path.length ? showInvisible(i.path.map(String).join(".")) : "(arguments)";
      return `\`${field}\`: ${i.message}`;
    })
    .join("; ");
}

export interface ToolRegistration {
  server: Server;
  tools: readonly AnyTool[];
  guard?: ServerGuard;
  /** Builds the per-call context (everything but signal and progress). */
  context: () => Omit<ToolContext, "signal" | "progress" | "idempotencyKey">;
  /** What this request's client can do (how it is asked to confirm, whether it renders cards). */
  clientOf: (ctx: ServerContext) => RequestClient;
  /** Who calls (the OAuth subject), for the guard's audit entries and confirmation binding. */
  caller?: string;
  elicit: ElicitFn;
  elicitUrl: ElicitUrlFn;
}

/** What a tool answered, guarded or not, before it goes on the wire. */
type Answer = Omit<GuardResult, "structured" | "inputRequired"> & { structured: Record<string, unknown> };

/** Every guarded answer says what happened (status) and where (mode), whether or not it ran. */
function guardedOut(answer: GuardResult, mode: Mode): Answer {
  return { ...answer, structured: { mode, ...answer.structured } };
}

/** A tool's answer on the wire. */
function present(out: Answer): CallToolResult {
  return {
    // Cleaned once more as a whole: no string from SpacePay or the model reaches the client unseen.
    content: [{ type: "text", text: cleanLines(out.text) }],
    // Refusals keep their structured form (rule, configured value) so an automated caller can act on it.
    structuredContent: cleanDeep(out.structured),
    ...(out.isError ? { isError: true } : {}),
    ...(out.approval ? { _meta: approvalMeta(out.approval) } : {}),
  };
}

/** A guarded call on 2026-07-28 may answer input_required instead of a result. */
type CallAnswer = CallToolResult | InputRequiredResult;

export function registerTools({
  server,
  tools,
  guard,
  context,
  clientOf,
  elicit,
  elicitUrl,
  caller,
}: ToolRegistration): void {
  const byName = new Map(tools.map((t) => [t.name, t]));

  server.registerCapabilities({ tools: {} });
  server.setRequestHandler("tools/list", (_request, extra) => {
    const listings = tools.map((t) => prepare(t).listing);
    if (!clientOf(extra).rendersApps) return { tools: listings };
    const approvals = guard?.approvalCall && tools.some((t) => t.guarded);
    return { tools: [...listings.map(withAppLink), ...(approvals ? [DECIDE_LISTING] : [])] };
  });
  server.setRequestHandler("tools/call", async (request, extra): Promise<CallAnswer> => {
    const client = clientOf(extra);
    let name = request.params.name;
    let raw = request.params.arguments;
    let app: AppApproval | undefined;
    // The card's answer re-enters as the call its handle was issued for, with exactly those arguments.
    if (name === DECIDE_TOOL && client.rendersApps && guard?.approvalCall) {
      const target = await resolveDecision(raw, guard.approvalCall, caller);
      if ("refused" in target) return present(guardedOut(target.refused, context().info.mode));
      if ("malformed" in target || !byName.get(target.tool)?.guarded)
        return errorResult("Refused: this approval is not recognised. Nothing was sent.");
      ({ tool: name, args: raw, app } = target);
    }
    const found = byName.get(name);
    const p = found && prepare(found);
    if (!p) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Unknown tool ${JSON.stringify(request.params.name)}. Available: ${[...byName.keys()].join(", ")}`,
      );
    }
    const { tool } = p;
    const parsed = p.input.safeParse(raw ?? {});
    if (!parsed.success) {
      return errorResult(
        `Invalid arguments for ${tool.name}: ${describeIssues(parsed.error)}. Nothing was done.`,
      );
    }
    const { signal } = extra.mcpReq;
    const progressToken = extra.mcpReq._meta?.progressToken;
    const base = context();
    const call: Call = {
      tool,
      args: parsed.data as Record<string, unknown>,
      decided: app !== undefined,
      ctx: {
        ...base,
        api: callerApi(base.api, extra),
        signal,
        progress: async (progress, total, message) => {
          if (progressToken === undefined || signal.aborted) return;
          await extra.mcpReq
            .notify({
              method: "notifications/progress",
              params: { progressToken, progress, total, message },
            })
            .catch(() => {});
        },
      },
      executed: false,
    };
    // The chain: error boundary → guard (money-moving tools) → the tool's handler.
    return errorBoundary(call, guard, () =>
      tool.guarded && guard
        ? throughGuard(call, guard, {
            signal,
            elicit: client.canElicit ? elicit : undefined,
            elicitUrl: client.canElicitUrl ? elicitUrl : undefined,
            inputRequired: client.inputRequired,
            caller,
            app: app ?? (client.rendersApps ? {} : undefined),
          })
        : handled(call),
    );
  });
}

/** One tools/call on its way through the chain, once its arguments are valid. */
interface Call {
  tool: AnyTool;
  args: Record<string, unknown>;
  /** Answers an approval card: its arguments are the ones the guard bound, already normalized. */
  decided: boolean;
  ctx: ToolContext;
  /** Whether the guard let the call through to SpacePay: before that, nothing can have been sent. */
  executed: boolean;
}

/**
 * The outermost step: every failure becomes a result naming what happened (for a money call, whether
 * anything may have moved), and a slow or failed call is logged at debug.
 */
async function errorBoundary(
  call: Call,
  guard: ServerGuard | undefined,
  next: () => Promise<Answer | InputRequiredResult>,
): Promise<CallAnswer> {
  const { tool, ctx } = call;
  const started = Date.now();
  try {
    // Decided arguments were normalized before the guard bound them; once is the rule.
    if (tool.guarded?.normalize && !call.decided) call.args = tool.guarded.normalize(call.args);
    const out = await next();
    if (isInputRequiredResult(out)) return out;
    if (logEnabled("debug"))
      log("debug", `tool ${tool.name} answered`, { ms: Date.now() - started, isError: out.isError ?? false });
    return present(out);
  } catch (err) {
    if (ctx.signal.aborted) return errorResult(`${tool.name} was cancelled.`);
    const result = toErrorResult(tool.name, err);
    if (tool.guarded && guard) {
      // The guard read the same answer (failureOf) to keep or release the reservation and key.
      const failure = call.executed ? failureOf(err) : "not_called";
      const note = moneyFailureNote(failure, err);
      result.content.push({ type: "text", text: note });
      // Like every money result, what happened and what to do next, for models that read only structure.
      result.structuredContent = {
        mode: ctx.info.mode,
        status: "failed",
        message: note,
        mayHaveGoneThrough: failure === "ambiguous",
      };
    }
    return result;
  }
}

/** The guard's step: policy, confirmation, one movement, audit; the handler runs inside it, at most once. */
async function throughGuard(
  call: Call,
  guard: ServerGuard,
  /** How this client is asked, and who calls. */
  how: Omit<GuardedCall, "execute" | "tool" | "args" | "summary">,
): Promise<Answer | InputRequiredResult> {
  const { tool } = call;
  const answer = await guard.run({
    ...how,
    tool: tool.name,
    // Summarized here, after the error boundary normalized the arguments.
    args: call.args,
    summary: { action: tool.guarded!.action, ...tool.guarded!.summarize(call.args) },
    execute: async (idempotencyKey) => {
      call.executed = true;
      const result = await call.tool.handler(call.args, { ...call.ctx, idempotencyKey });
      return {
        result,
        ids: result.meta?.ids ?? {},
        requestId: result.meta?.requestId ?? null,
        replayed: result.meta?.replayed ?? false,
      };
    },
  });
  const ask = answer.inputRequired;
  if (!ask) return guardedOut(answer, call.ctx.info.mode);
  // A page to open (a passkey approval) carries no state: the retry reads the page's outcome.
  if ("url" in ask) return inputRequired({ inputRequests: { [ask.key]: inputRequired.elicitUrl(ask.url) } });
  return inputRequired({
    inputRequests: {
      [ask.key]: inputRequired.elicit({
        message: ask.elicitation.message,
        requestedSchema: ask.elicitation.requestedSchema as never,
      }),
    },
    requestState: ask.requestState,
  });
}

/** The innermost step for a tool the guard does not wrap (or a server without one). */
async function handled(call: Call): Promise<Answer> {
  const result = await call.tool.handler(call.args, call.ctx);
  return {
    structured: call.tool.guarded ? { status: "done", ...result.structured } : result.structured,
    text: result.text,
  };
}
