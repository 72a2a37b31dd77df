// The approval panel both cards show when a money call waits for a person: what will happen, in
// full, then Approve or Decline through the app-only tool. The handle comes from the result's _meta,
// which the host hands to this view and not to the model.
import { APPROVAL_META_KEY, DECIDE_TOOL, type ApprovalMeta } from "../../src/server/app-contract.js";
import type { ConfirmationSummary } from "../../src/safety/confirm.js";
import type { Bridge, ToolResult } from "./bridge.js";
import { chainLabel, countdown, field, h, modeBadge, resultText, show, structured } from "./view.js";

/** The approval a result asks for, if any. */
export function approvalOf(result: ToolResult): ApprovalMeta | null {
  const meta = (result._meta as Record<string, unknown> | undefined)?.[APPROVAL_META_KEY] as
    Partial<ApprovalMeta> | undefined;
  return meta && typeof meta.handle === "string" && typeof meta.expiresAt === "string"
    ? { handle: meta.handle, expiresAt: meta.expiresAt }
    : null;
}

const ACTION_TITLE: Record<string, string> = {
  create_withdrawal: "Approve withdrawal",
  create_payment: "Approve payment request",
  create_deposit: "Approve deposit request",
};

/**
 * Shows the summary with Approve and Decline. Approve answers with the call's own result (handed to
 * `done`); Decline with a result saying nothing was sent.
 */
export function showApproval(
  bridge: Bridge,
  result: ToolResult,
  approval: ApprovalMeta,
  done: (result: ToolResult) => void,
): void {
  const s = (structured(result)?.summary ?? {}) as Partial<ConfirmationSummary>;
  const approve = h("button", { class: "primary", type: "button", "data-testid": "approve" }, "Approve");
  const decline = h("button", { type: "button", "data-testid": "decline" }, "Decline");
  const status = h("div", { class: "note", "data-testid": "approval-status" });
  const decide = (decision: "approve" | "decline") => async () => {
    approve.setAttribute("disabled", "");
    decline.setAttribute("disabled", "");
    status.textContent = decision === "approve" ? "Sending…" : "Declining…";
    try {
      done(await bridge.callTool(DECIDE_TOOL, { handle: approval.handle, decision }));
    } catch (err) {
      status.textContent = `The host could not deliver the answer: ${(err as Error).message}`;
    }
  };
  approve.addEventListener("click", () => void decide("approve")());
  decline.addEventListener("click", () => void decide("decline")());

  show(
    h(
      "div",
      { class: "head" },
      h("h1", {}, (s.action && ACTION_TITLE[s.action]) ?? "Approve"),
      modeBadge(s.mode),
    ),
    h("div", { class: "amount", "data-testid": "amount" }, s.amount ?? "Amount chosen by the customer"),
    s.recipientAddress ? field("Recipient", String(s.recipientAddress), { testid: "recipient" }) : null,
    s.chainId ? field("Chain", chainLabel(String(s.chainId)), { testid: "chain" }) : null,
    s.orderId ? field("Order", String(s.orderId), { testid: "order" }) : null,
    s.customerRefId ? field("Customer reference", String(s.customerRefId)) : null,
    s.redirectUrl ? field("After paying, the customer goes to", String(s.redirectUrl)) : null,
    h("div", { class: "note" }, "Nothing has been sent yet; ", countdown(approval.expiresAt)),
    h("div", { class: "actions" }, decline, approve),
    status,
  );
}

/**
 * Shows a declined call as what it is, the person's choice in the server's own words, not as an
 * error; returns false for any other result.
 */
export function showDeclined(result: ToolResult): boolean {
  if (structured(result)?.status !== "declined") return false;
  show(h("h1", {}, "Declined"), h("div", { class: "note", "data-testid": "outcome" }, resultText(result)));
  return true;
}
