// decide_approval: the app-only tool behind the approval card's buttons (MCP Apps; visibility ["app"]:
// hosts neither show it to the model nor let it call it). It carries only the person's answer. What it
// answers is the guarded call its handle was issued for, with exactly those arguments, so nothing the
// caller sends can change what is approved: its call resolves to that call, which then runs through the
// same chain as any other (register-tools.ts), where the guard decides the answer like a token's.
import type { Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { AppApproval, ApprovalLookup, GuardResult } from "../../safety/guard.js";
import { DECIDE_TOOL } from "../app-contract.js";

export const DECIDE_LISTING: Tool = {
  name: DECIDE_TOOL,
  title: "Answer an approval card",
  description: "For the SpacePay approval card only: the user's Approve or Decline.",
  inputSchema: {
    type: "object",
    properties: {
      handle: { type: "string", description: "The approval handle the card was given" },
      decision: { type: "string", enum: ["approve", "decline"], description: "The user's answer" },
    },
    required: ["handle", "decision"],
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  _meta: { ui: { visibility: ["app"] } },
};

const Decision = z.strictObject({
  handle: z.string().min(1).max(200),
  decision: z.enum(["approve", "decline"]),
});

/** What a decide_approval call stands for: the call its handle was issued for, or what to say instead. */
export type DecidedCall =
  | { tool: string; args: Record<string, unknown>; app: AppApproval }
  /** Unknown, guessed too often, or the state could not be read: the person is told which. */
  | { refused: GuardResult }
  /** Not a decision at all (malformed arguments). */
  | { malformed: true };

export async function resolveDecision(
  args: unknown,
  approvalCall: (handle: string, caller?: string) => ApprovalLookup | Promise<ApprovalLookup>,
  caller: string | undefined,
): Promise<DecidedCall> {
  const parsed = Decision.safeParse(args ?? {});
  if (!parsed.success) return { malformed: true };
  const { handle, decision } = parsed.data;
  const target = await approvalCall(handle, caller);
  if ("refused" in target) return target;
  return { tool: target.tool, args: target.args, app: { handle, decision } };
}
