// MCP Apps (the io.modelcontextprotocol/ui extension): the two ui:// pages, which tools link to
// them, and the extension's capability. Everything a client without the extension sees is unchanged:
// the links appear in tools/list only for a client that declared it (hosts ignore unknown _meta, but
// the listing stays byte for byte what it was). The pages themselves are built from apps/.
import type { ClientCapabilities, Tool } from "@modelcontextprotocol/server";
import type { ResourceDef } from "./resources.js";
import {
  APPROVAL_CARD_URI,
  APPROVAL_META_KEY,
  APP_MIME_TYPE,
  PAYMENT_CARD_URI,
  UI_EXTENSION,
  type ApprovalMeta,
} from "./app-contract.js";

/** Which page renders which tool's result. */
const LINKS: Readonly<Record<string, string>> = {
  create_payment: PAYMENT_CARD_URI,
  create_deposit: PAYMENT_CARD_URI,
  get_payment: PAYMENT_CARD_URI,
  create_quote: PAYMENT_CARD_URI,
  create_withdrawal: APPROVAL_CARD_URI,
};

/** Whether the client declared the UI extension (and, when it lists mime types, ours). */
export function clientRendersApps(caps: ClientCapabilities | undefined): boolean {
  const ext = caps?.extensions?.[UI_EXTENSION] as { mimeTypes?: unknown } | undefined;
  if (!ext) return false;
  return !Array.isArray(ext.mimeTypes) || ext.mimeTypes.includes(APP_MIME_TYPE);
}

/** A tools/list entry with its page linked: `_meta.ui.resourceUri`, and the legacy flat key hosts still read. */
export function withAppLink(listing: Tool): Tool {
  const uri = LINKS[listing.name];
  if (!uri) return listing;
  return { ...listing, _meta: { ...listing._meta, ui: { resourceUri: uri }, "ui/resourceUri": uri } };
}

// The pages need nothing from outside: no fetches, scripts, styles, fonts or frames (each list empty).
const RESOURCE_META = {
  ui: { csp: { connectDomains: [], resourceDomains: [], frameDomains: [] }, prefersBorder: true },
};

const PAGES = [
  { name: "payment-card", uri: PAYMENT_CARD_URI, title: "Payment card" },
  { name: "approval-card", uri: APPROVAL_CARD_URI, title: "Approval card" },
] as const;

/** Declares the extension (create-server.ts, in every server's fixed capabilities). */
export const APPS_CAPABILITY = { extensions: { [UI_EXTENSION]: {} } };

/** The pages, as rows of the resource table (read on demand: the HTML is a chunk of its own). */
export const APP_PAGES: readonly ResourceDef[] = PAGES.map((page) => ({
  name: page.name,
  uri: page.uri,
  title: page.title,
  description: "MCP App view (for hosts that render the UI extension)",
  mimeType: APP_MIME_TYPE,
  _meta: RESOURCE_META,
  read: async (uri: URL) => {
    const html = (await import("spacepay:app-html")).default[page.name];
    return { contents: [{ uri: uri.href, mimeType: APP_MIME_TYPE, text: html, _meta: RESOURCE_META }] };
  },
}));

/** Where an approval handle travels: the result's _meta, which hosts give the app and not the model. */
export function approvalMeta(approval: ApprovalMeta): Record<string, unknown> {
  return { [APPROVAL_META_KEY]: approval };
}
