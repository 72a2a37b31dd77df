// The approval card, linked from create_withdrawal: before anything moves it shows the withdrawal in
// full (amount, chain by name, recipient address, order, test or live) with Approve and Decline;
// afterwards, what happened.
import { connect, type ToolResult } from "../shared/bridge.js";
import { approvalOf, showApproval, showDeclined } from "../shared/approval.js";
import {
  applyHostContext,
  chainLabel,
  field,
  h,
  modeBadge,
  resultText,
  show,
  structured,
} from "../shared/view.js";
import type { WithdrawalView } from "../../src/server/render.js";

const bridge = connect("spacepay-approval-card", { hostContext: applyHostContext, toolResult: render });

function render(result: ToolResult): void {
  const approval = approvalOf(result);
  if (approval) return showApproval(bridge, result, approval, render);
  if (showDeclined(result)) return;
  const s = structured(result);
  const w = s?.withdrawal as WithdrawalView | undefined;
  if (!s || !w) {
    // Refused or failed: the server's own words say what was (not) done.
    return show(
      h("h1", {}, "Withdrawal"),
      h("div", { class: "error", "data-testid": "outcome" }, resultText(result)),
    );
  }
  const tone = w.status === "completed" ? "good" : w.status === "failed" ? "bad" : "wait";
  show(
    h("div", { class: "head" }, h("h1", {}, "Withdrawal"), modeBadge(s.mode)),
    h("div", { class: "amount", "data-testid": "amount" }, w.amount),
    h(
      "div",
      { class: "status" },
      h("span", { class: `pill ${tone}`, "data-testid": "status" }, w.status),
      h("span", { class: "meaning" }, w.statusMeaning),
    ),
    field("Recipient", w.recipientAddress, { copy: true, testid: "recipient" }),
    field("Chain", chainLabel(w.chainId), { testid: "chain" }),
    w.orderId ? field("Order", w.orderId, { testid: "order" }) : null,
    field("Withdrawal id", w.id, { copy: true, testid: "withdrawal-id" }),
    w.receipt?.txHash ? field("Transaction", w.receipt.txHash, { copy: true }) : null,
  );
}
