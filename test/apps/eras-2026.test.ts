// MCP Apps for 2026-07-28 clients: what each request's envelope declares decides whether tools link
// to their cards and whether a withdrawal is approved on a card. Over stdio (the built server, where
// the SDK never copies the envelope into the session's capabilities) as over HTTP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_CAPABILITIES_META_KEY } from "@modelcontextprotocol/server";
import type { RunningHttp } from "../../src/http/serve-http.js";
import {
  APPROVAL_CARD_URI,
  APPROVAL_META_KEY,
  APP_MIME_TYPE,
  DECIDE_TOOL,
  PAYMENT_CARD_URI,
  UI_EXTENSION,
} from "../../src/server/app-contract.js";
import { serveHarness } from "../helpers/http-harness.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import { rawHttp, rawStdio } from "../helpers/mcp2026.js";
import { withdrawalPosts } from "../safety-e2e/helpers.js";

const UI = { extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } } };

interface Listed {
  name: string;
  _meta?: Record<string, any>;
}

let h: Harness;
let http: RunningHttp;
let stateDir: string;
let stdioEnv: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({ env: { SPACEPAY_CONFIRM: "auto" } });
  http = await serveHarness(h);
  stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-mcp-apps-2026-"));
  stdioEnv = {
    SPACEPAY_SECRET_KEY: "sk_test_simulator",
    SPACEPAY_API_URL: h.sim.url,
    SPACEPAY_STATE_DIR: stateDir,
    SPACEPAY_CONFIRM: "auto",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
  };
});
afterAll(async () => {
  await http?.close();
  await h?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function expectLinked(tools: Listed[]) {
  const link = (name: string) => tools.find((t) => t.name === name)?._meta?.ui?.resourceUri;
  expect(link("create_payment")).toBe(PAYMENT_CARD_URI);
  expect(link("get_payment")).toBe(PAYMENT_CARD_URI);
  expect(link("create_withdrawal")).toBe(APPROVAL_CARD_URI);
  expect(tools.find((t) => t.name === DECIDE_TOOL)?._meta).toEqual({ ui: { visibility: ["app"] } });
}

function expectPlain(tools: Listed[]) {
  expect(tools.filter((t) => t._meta)).toEqual([]);
  expect(tools.map((t) => t.name)).not.toContain(DECIDE_TOOL);
}

describe("MCP Apps on 2026-07-28 over stdio", () => {
  it("links tools to their cards for a request that declares the UI extension, and only for it", async () => {
    const server = rawStdio(stdioEnv);
    try {
      // One connection, two requests: each is answered by what it declares.
      const withUi = await server.request("tools/list", {}, UI);
      expectLinked(withUi.result.tools);
      const without = await server.request("tools/list", {}, {});
      expectPlain(without.result.tools);
    } finally {
      server.close();
    }
  }, 20_000);

  it("approves a withdrawal on the card: nothing moves until Approve, then exactly one", async () => {
    const server = rawStdio(stdioEnv);
    const args = {
      amountInCents: 1500,
      chainId: "base-sepolia",
      recipientAddress: RECIPIENT,
      orderId: "APP-2026-1",
    };
    try {
      const before = withdrawalPosts(h.sim).length;
      const asked = await server.request("tools/call", { name: "create_withdrawal", arguments: args }, UI);
      expect(asked.result.structuredContent.status).toBe("confirmation_required");
      expect(asked.result.structuredContent).not.toHaveProperty("confirmationToken");
      const handle = asked.result._meta?.[APPROVAL_META_KEY]?.handle as string;
      expect(handle).toMatch(/^apv_/);
      expect(withdrawalPosts(h.sim)).toHaveLength(before);

      // A request that does not declare the extension cannot answer the card.
      const undeclared = await server.request(
        "tools/call",
        { name: DECIDE_TOOL, arguments: { handle, decision: "approve" } },
        {},
      );
      expect(undeclared.error?.message).toMatch(/Unknown tool/);
      expect(withdrawalPosts(h.sim)).toHaveLength(before);

      const approved = await server.request(
        "tools/call",
        { name: DECIDE_TOOL, arguments: { handle, decision: "approve" } },
        UI,
      );
      expect(approved.result.structuredContent.status).toBe("done");
      expect(withdrawalPosts(h.sim)).toHaveLength(before + 1);
    } finally {
      server.close();
    }
  }, 30_000);
});

describe("MCP Apps on 2026-07-28 over HTTP", () => {
  it("links tools to their cards for a request that declares the UI extension, and only for it", async () => {
    const withUi = await rawHttp(http.url, "tools/list", { _meta: { [CLIENT_CAPABILITIES_META_KEY]: UI } });
    expectLinked(withUi.body.result.tools);
    const without = await rawHttp(http.url, "tools/list");
    expectPlain(without.body.result.tools);
  });

  it("approves a withdrawal on the card, across requests answered by servers of their own", async () => {
    const ui = { _meta: { [CLIENT_CAPABILITIES_META_KEY]: UI } };
    const args = {
      amountInCents: 1600,
      chainId: "base-sepolia",
      recipientAddress: RECIPIENT,
      orderId: "APP-2026-HTTP",
    };
    const before = withdrawalPosts(h.sim).length;
    const asked = await rawHttp(http.url, "tools/call", {
      name: "create_withdrawal",
      arguments: args,
      ...ui,
    });
    expect(asked.body.result.structuredContent.status).toBe("confirmation_required");
    const handle = asked.body.result._meta?.[APPROVAL_META_KEY]?.handle as string;
    expect(handle).toMatch(/^apv_/);
    expect(withdrawalPosts(h.sim)).toHaveLength(before);
    const approved = await rawHttp(http.url, "tools/call", {
      name: DECIDE_TOOL,
      arguments: { handle, decision: "approve" },
      ...ui,
    });
    expect(approved.body.result.structuredContent.status).toBe("done");
    expect(withdrawalPosts(h.sim)).toHaveLength(before + 1);
  });
});
