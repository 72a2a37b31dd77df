// The payment card: what create_payment, create_deposit, get_payment and create_quote answered, as a
// person reads it, with a QR code to pay (the payment link, or the active quote as an EIP-681 request),
// and kept live through the host until the payment reaches a final status. Live means event-driven:
// the card waits in wait_for_payment (until: change), which a webhook event or the server's own poll
// ends, and only when the status changed does it read the payment again (get_payment). A wait that
// fails (an older server, a refused watch) falls back to a get_payment now and then.
import QRCode from "qrcode";
import { connect, type ToolResult } from "../shared/bridge.js";
import { approvalOf, showApproval, showDeclined } from "../shared/approval.js";
import {
  applyHostContext,
  chainLabel,
  countdown,
  field,
  h,
  modeBadge,
  resultText,
  show,
  structured,
} from "../shared/view.js";
import { isFinalPaymentStatus } from "../../src/spacepay/wire.js";
import type { PaymentView, QuoteView } from "../../src/server/render.js";
import { eip681 } from "./payment-uri.js";

/** One wait_for_payment call, below the 60 s a host commonly allows a tool call; then the card waits again. */
const WAIT_SECONDS = 50;
/** When a wait fails, the card reads the payment again this much later (and then waits again). */
const FALLBACK_MS = 30_000;

let paymentId: string | null = null;
let paymentUrl: string | null = null;
let mode: unknown = null;
let lastQuote: QuoteView | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
/** The status the card shows; a wait that ends on another one means a read. */
let shown: string | null = null;
/** A wait_for_payment is in flight. */
let waiting = false;
/** Bumped by stop(), so an answer to a wait or read begun before is ignored. */
let generation = 0;

const bridge = connect("spacepay-payment-card", {
  hostContext: applyHostContext,
  toolInput(args) {
    if (typeof args.paymentId === "string") paymentId = args.paymentId;
  },
  toolResult: render,
});

function render(result: ToolResult): void {
  const approval = approvalOf(result);
  if (approval) return showApproval(bridge, result, approval, render);
  if (showDeclined(result)) return stop();
  const s = structured(result);
  if (!s || (s.status && s.status !== "done")) {
    stop();
    return show(h("div", { class: "error", "data-testid": "error" }, resultText(result) || "No payment."));
  }
  mode = s.mode ?? mode;
  if (typeof s.paymentUrl === "string") paymentUrl = s.paymentUrl;
  if (s.quote) lastQuote = s.quote as QuoteView;
  const payment = s.payment as PaymentView | undefined;
  if (!payment) {
    // create_quote answers with the quote alone: look the payment up for the rest of the card.
    if (lastQuote)
      show(h("div", { class: "head" }, h("h1", {}, "Quote"), modeBadge(mode)), quoteBox(lastQuote));
    schedule(0);
    return;
  }
  paymentId = payment.id;
  shown = payment.status;
  drawPayment(payment);
  if (isFinalPaymentStatus(payment.status)) stop();
  else follow();
}

function drawPayment(p: PaymentView): void {
  const tone =
    p.status === "completed" ? "good" : p.status === "pending" || p.status === "processing" ? "wait" : "bad";
  // The customer pays the active quote; a replaced or expired one would only mislead.
  const active = p.quotes.filter((q) => q.status === "active");
  const latest = p.quotes.at(-1) ?? lastQuote;
  const quotes = active.length ? active : latest ? [latest] : [];
  const final = isFinalPaymentStatus(p.status);
  show(
    h("div", { class: "head" }, h("h1", {}, p.type === "deposit" ? "Deposit" : "Payment"), modeBadge(mode)),
    h("div", { class: "amount", "data-testid": "amount" }, p.amount ?? "Any amount"),
    h(
      "div",
      { class: "status" },
      h("span", { class: `pill ${tone}`, "data-testid": "status" }, p.status),
      h("span", { class: "meaning", "data-testid": "status-meaning" }, p.statusMeaning),
    ),
    p.orderId ? field("Order", p.orderId, { testid: "order" }) : null,
    final ? null : paymentQr(quotes.find((q) => q.status === "active")),
    paymentUrl ? field("Payment link", paymentUrl, { copy: true, testid: "payment-url" }) : null,
    ...quotes.map(quoteBox),
    !quotes.length && p.depositAddress ? field("Deposit address", p.depositAddress, { copy: true }) : null,
    p.receipt?.txHash ? field("Transaction", p.receipt.txHash, { copy: true, testid: "tx" }) : null,
    h(
      "div",
      { class: "foot", "data-testid": "live" },
      final ? "Final status." : "Live: updates as the payment changes.",
    ),
  );
}

/**
 * The QR code a customer scans while the payment is open: the hosted payment link when it is known
 * (right after creation), else the active quote as an EIP-681 wallet request; labelled as which it is.
 */
function paymentQr(active: QuoteView | undefined): HTMLElement | null {
  if (paymentUrl) return qrBox(paymentUrl, "Scan to open the payment link");
  const uri = active && eip681(active);
  if (!uri || !active) return null;
  const due = active.amountDue ?? `${active.expectedAmountAsset} smallest units`;
  return qrBox(
    uri,
    `Scan with a wallet: pay exactly ${due} on ${chainLabel(active.chainId)} (EIP-681 request)`,
  );
}

function qrBox(text: string, label: string): HTMLElement {
  const canvas = h("canvas", { "data-testid": "qr", role: "img", "aria-label": `QR code. ${label}` });
  // The library draws it; the margin is the quiet zone scanners need.
  void QRCode.toCanvas(canvas as HTMLCanvasElement, text, { margin: 2, scale: 6, errorCorrectionLevel: "M" });
  return h("div", { class: "qr" }, canvas, h("div", { class: "qr-label", "data-testid": "qr-label" }, label));
}

function quoteBox(q: QuoteView): HTMLElement {
  return h(
    "div",
    { class: "quote", "data-testid": "quote" },
    h(
      "div",
      { class: "quote-head" },
      h("span", {}, `${q.token} on ${chainLabel(q.chainId)}`),
      q.status === "active" ? countdown(q.expiresAt) : h("span", { class: "countdown" }, q.status),
    ),
    q.amountDue ? field("Amount due", q.amountDue, { copy: true, testid: "quote-amount" }) : null,
    q.depositAddress
      ? field("Deposit address", q.depositAddress, { copy: true, testid: "deposit-address" })
      : null,
  );
}

/** Waits through the server for the status to leave the one shown; reads the payment when it did. */
function follow(): void {
  if (waiting || timer !== null || !paymentId) return;
  waiting = true;
  const mine = generation;
  // `since`: a change between the card's answer and the wait's first read ends the wait at once.
  const args = { paymentId, until: "change", since: shown, timeoutSeconds: WAIT_SECONDS };
  const ended = (answer: Record<string, unknown> | null) => {
    waiting = false;
    if (mine !== generation) return;
    if (answer && answer.status !== shown) refresh();
    // The wait ran out with nothing new: wait again.
    else if (answer?.timedOut === true) follow();
    // Failed, or ended early (the server is stopping): look again later.
    else schedule(FALLBACK_MS);
  };
  bridge.callTool("wait_for_payment", args).then(
    (r) => ended(r.isError ? null : structured(r)),
    () => ended(null),
  );
}

/** Reads the payment again; a failed read keeps the card as it was and tries later. */
function refresh(): void {
  if (!paymentId) return;
  const mine = generation;
  bridge.callTool("get_payment", { paymentId }).then(
    (r) => mine === generation && (r.isError ? schedule(FALLBACK_MS) : render(r)),
    () => mine === generation && schedule(FALLBACK_MS),
  );
}

function schedule(ms: number): void {
  if (timer !== null || !paymentId) return;
  timer = setTimeout(() => {
    timer = null;
    refresh();
  }, ms);
}

function stop(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  generation++;
}
