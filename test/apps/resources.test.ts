// The MCP Apps wiring as a host sees it: the extension declared, the two ui:// pages served
// self-contained and small, and tools linked to them only for a client that renders apps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import {
  APPROVAL_CARD_URI,
  APP_MIME_TYPE,
  PAYMENT_CARD_URI,
  UI_EXTENSION,
} from "../../src/server/app-contract.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";

let h: Harness;
let ui: Client;
beforeAll(async () => {
  h = await startHarness();
  ui = await h.connect(UI_CAPABILITIES);
});
afterAll(() => h.close());

describe("MCP Apps resources", () => {
  it("declares the UI extension", () => {
    expect(ui.getServerCapabilities()?.extensions).toHaveProperty([UI_EXTENSION]);
  });

  it.each([PAYMENT_CARD_URI, APPROVAL_CARD_URI])(
    "serves %s as one self-contained page of at most 100 KB",
    async (uri) => {
      const { resources } = await ui.listResources();
      expect(resources.find((r) => r.uri === uri)?.mimeType).toBe(APP_MIME_TYPE);
      const res = await ui.readResource({ uri });
      const page = res.contents[0] as { mimeType: string; text: string; _meta?: any };
      expect(page.mimeType).toBe(APP_MIME_TYPE);
      expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(100 * 1024);
      expect(page.text).toMatch(/^<!doctype html>/);
      // Nothing fetched from anywhere: no external script, stylesheet, font or image.
      expect(page.text).not.toMatch(/<script[^>]+src=|<link\b|@import|@font-face|url\(\s*['"]?https?:/i);
      expect(page.text).toContain("connect-src 'none'");
      // The host's CSP: no outside connections or resources at all.
      expect(page._meta?.ui?.csp).toEqual({ connectDomains: [], resourceDomains: [], frameDomains: [] });
    },
  );

  it("links the payment tools to the payment card and the withdrawal to the approval card", async () => {
    const { tools } = await ui.listTools();
    const link = (name: string) => tools.find((t) => t.name === name)?._meta;
    for (const name of ["create_payment", "create_deposit", "get_payment", "create_quote"]) {
      expect(link(name), name).toEqual({
        ui: { resourceUri: PAYMENT_CARD_URI },
        "ui/resourceUri": PAYMENT_CARD_URI,
      });
    }
    expect((link("create_withdrawal") as any)?.ui.resourceUri).toBe(APPROVAL_CARD_URI);
    expect(link("list_payments")).toBeUndefined();
  });

  it("lists tools without any app metadata for a client that does not render apps", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.filter((t) => t._meta)).toEqual([]);
  });
});
