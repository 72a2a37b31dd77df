// The enrollment and approval pages: self-contained HTML (inline style and script under a per-response
// nonce), a CSP that allows no outside connection and no framing, and nothing secret: the approval
// id in the URL cannot approve anything, only a registered passkey can.
import { randomBytes } from "node:crypto";
import type { PendingApproval } from "../safety/approvals.js";
import { chainName } from "../spacepay/chains.js";
import { formatCents } from "../spacepay/money.js";
import { cleanText, truncate } from "../text.js";

export interface Page {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers every answer under /approvals/ carries: no framing (no click can be hijacked), no caching. */
export function pageHeaders(nonce: string | null, contentType: string): Record<string, string> {
  const scripts = nonce ? `'nonce-${nonce}'` : "'none'";
  return {
    "content-type": contentType,
    "content-security-policy": `default-src 'none'; script-src ${scripts}; style-src ${scripts}; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Untrusted text (from the model or the API) as data: cleaned of invisible characters, capped, escaped. */
const data = (s: string, max = 300) => escapeHtml(truncate(cleanText(s), max));

const STYLE = `
:root { color-scheme: light dark; --bg: #f7f7f8; --card: #fff; --fg: #16181d; --muted: #5b6270; --line: #dfe2e7;
  --ok: #0a7a3d; --no: #b3261e; --accent: #1f5eff; --on-accent: #fff; }
@media (prefers-color-scheme: dark) { :root { --bg: #101216; --card: #1a1d23; --fg: #eceff4; --muted: #a2aab8;
  --line: #2c313a; --ok: #4cc38a; --no: #ff7a70; --accent: #7aa2ff; --on-accent: #0b1020; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 30rem; margin: 2rem auto; padding: 1.5rem; background: var(--card); border: 1px solid var(--line); border-radius: 12px; }
h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
.amount { font-size: 2rem; font-weight: 650; margin: .5rem 0 1rem; }
.mode { display: inline-block; padding: .1rem .5rem; border-radius: 99px; font-size: .8rem; font-weight: 600; border: 1px solid currentColor; }
.live { color: var(--no); } .test, .demo { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; margin: 1rem 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.buttons { display: flex; gap: .75rem; margin-top: 1.25rem; }
button { flex: 1; font: inherit; font-weight: 600; padding: .7rem 1rem; border-radius: 8px; border: 1px solid var(--line); cursor: pointer; background: transparent; color: var(--fg); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
button:disabled { opacity: .5; cursor: default; }
#status { min-height: 1.5rem; margin-top: 1rem; font-weight: 600; }
#status.ok { color: var(--ok); } #status.error { color: var(--no); }
.note { color: var(--muted); font-size: .85rem; }
`;

/** The browser side: JSON in, JSON out, WebAuthn in between; no library, no outside request. */
const SCRIPT = `
const status = document.getElementById("status");
const buttons = [...document.querySelectorAll("button")];
const show = (text, kind) => { status.textContent = text; status.className = kind || ""; };
const post = async (path, body) => {
  const res = await fetch(location.pathname.replace(/\\/$/, "") + path, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}),
  });
  const answer = await res.json().catch(() => ({ error: "no answer" }));
  if (!res.ok) throw new Error(answer.error || ("HTTP " + res.status));
  return answer;
};
const run = (button, work) => button.addEventListener("click", async () => {
  buttons.forEach((b) => (b.disabled = true));
  show("Working…");
  try {
    const done = await work();
    show(done.message, "ok");
    if (!done.final) buttons.forEach((b) => (b.disabled = false));
  } catch (err) {
    show(err.name === "NotAllowedError" ? "The passkey was not used (cancelled, timed out, or not registered here)." : err.message, "error");
    buttons.forEach((b) => (b.disabled = false));
  }
});
const approve = document.getElementById("approve");
if (approve) run(approve, async () => {
  const { options } = await post("/options");
  const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
  return post("/approve", credential.toJSON());
});
const decline = document.getElementById("decline");
if (decline) run(decline, () => post("/decline"));
const register = document.getElementById("register");
if (register) run(register, async () => {
  const { options } = await post("/options");
  const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
  return post("", credential.toJSON());
});
`;

function shell(title: string, body: string, status = 200): Page {
  const nonce = randomBytes(16).toString("base64");
  return {
    status,
    headers: pageHeaders(nonce, "text/html; charset=utf-8"),
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head><body><main>${body}<p id="status" role="status" aria-live="polite"></p></main><script nonce="${nonce}">${SCRIPT}</script></body></html>`,
  };
}

/** A page that only says something (an unknown, expired or used link). */
export function messagePage(status: number, title: string, text: string): Page {
  return shell(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`, status);
}

export function enrollmentPage(approver: string): Page {
  return shell(
    "Register a passkey",
    `<h1>Register a passkey</h1>
<p>For approver <strong>${escapeHtml(approver)}</strong>. Withdrawals made through this SpacePay MCP server will need an approver's passkey, pressed on the server's own page.</p>
<div class="buttons"><button id="register" class="primary">Register passkey</button></div>
<p class="note">This link works once and expires 15 minutes after it was made.</p>`,
  );
}

const ACTIONS: Record<PendingApproval["summary"]["action"], string> = {
  create_withdrawal: "Withdrawal",
  create_payment: "Payment request",
  create_deposit: "Deposit request",
};

const STATE_TEXT: Record<PendingApproval["state"], string | null> = {
  pending: null,
  approved: "Approved. The agent completes it when it repeats the call.",
  claimed: "Approved and being sent.",
  done: "Approved and sent.",
  declined: "Declined. Nothing was sent, and this is final.",
};

export function approvalPage(approval: PendingApproval): Page {
  const s = approval.summary;
  const amount =
    s.amountInCents === null ? "(no amount)" : `${formatCents(s.amountInCents)} ${data(s.currency, 12)}`;
  const rows: Array<[string, string]> = [
    ["Action", ACTIONS[s.action]],
    ["Chain", s.chainId ? `${data(chainName(s.chainId), 60)} <code>${data(s.chainId, 60)}</code>` : "(none)"],
    ["Recipient", s.recipientAddress ? `<code>${data(s.recipientAddress, 200)}</code>` : "(none)"],
    ["Order id", s.orderId ? `<code>“${data(s.orderId)}”</code>` : "(none)"],
    ["Asked by", approval.caller ? `<code>${data(approval.caller, 200)}</code>` : "the local MCP client"],
    [
      "Approvals",
      `${approval.approvedBy.length} of ${approval.needed}${approval.approvedBy.length ? `: ${approval.approvedBy.map((n) => escapeHtml(n)).join(", ")}` : ""}`,
    ],
  ];
  const decided = STATE_TEXT[approval.state];
  const buttons = decided
    ? `<p id="decided"><strong>${decided}</strong></p>`
    : `<div class="buttons"><button id="approve" class="primary">Approve</button><button id="decline">Decline</button></div>
<p class="note">Approve asks for your passkey. Decline needs none: it can only stop money, and it is final.</p>`;
  return shell(
    `Approve: ${ACTIONS[s.action]} of ${amount}`,
    `<h1>${ACTIONS[s.action]} waiting for approval <span class="mode ${approval.mode}">${approval.mode.toUpperCase()}</span></h1>
<div class="amount">${amount}</div>
<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
${buttons}`,
  );
}
