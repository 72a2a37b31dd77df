// The names the server and its MCP Apps views (apps/) share: resource URIs, the app-only approval
// tool, and where an approval handle travels. Constants only, so the browser bundles can import them.

/** The MCP Apps extension id, as clients declare it in capabilities.extensions. */
export const UI_EXTENSION = "io.modelcontextprotocol/ui";
/** The mime type of an MCP App resource. */
export const APP_MIME_TYPE = "text/html;profile=mcp-app";

export const PAYMENT_CARD_URI = "ui://spacepay/payment-card.html";
export const APPROVAL_CARD_URI = "ui://spacepay/approval-card.html";

/** The app-only tool the cards' Approve and Decline buttons call. */
export const DECIDE_TOOL = "decide_approval";

/** Key in a result's `_meta` (which hosts give the app, not the model) carrying the approval handle. */
export const APPROVAL_META_KEY = "spacepay/approval";

export interface ApprovalMeta {
  handle: string;
  expiresAt: string;
}
