// MCP Apps for 2026-07-28 clients: what each request's envelope declares decides whether tools link
// to their cards and whether a withdrawal is approved on a card. Over stdio (the built server, where
// the SDK never copies the envelope into the session's capabilities) as over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_CAPABILITIES_META_KEY } from "@modelcontextprotocol/server";
import type { RunningHttp } from "../../src/http/serve-http.js";
import {
  APPROVAL_CARD_URI,
  APPROVAL_META_KEY,
  DECIDE_TOOL,
  PAYMENT_CARD_URI,
} from "../../src/server/app-contract.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { serveHarness } from "../helpers/http-harness.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import { rawHttp, rawStdio, builtServerEnv, type BuiltServerEnv } from "../helpers/mcp2026.js";
import { withdrawalPosts } from "../safety-e2e/helpers.js";

interface Listed {
  name: string;
  _meta?: Record<string, any>;
}

let h: Harness;
let http: RunningHttp;
let stdio: BuiltServerEnv;

beforeAll(async () => {
  h = await startHarness({ env: { SPACEPAY_CONFIRM: "auto" } });
  http = await serveHarness(h);
  stdio = builtServerEnv(h.sim.url, { SPACEPAY_CONFIRM: "auto", SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT });
});
afterAll(async () => {
  await http?.close();
  await h?.close();
  stdio?.remove();
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
    const server = rawStdio(stdio.env);
    try {
      // One connection, two requests: each is answered by what it declares.
      const withUi = await server.request("tools/list", {}, UI_CAPABILITIES);
      expectLinked(withUi.result.tools);
      const without = await server.request("tools/list", {}, {});
      expectPlain(without.result.tools);
    } finally {
      server.close();
    }
  }, 20_000);

  it("approves a withdrawal on the card: nothing moves until Approve, then exactly one", async () => {
    const server = rawStdio(stdio.env);
    const args = {
      amountInCents: 1500,
      chainId: "base-sepolia",
      recipientAddress: RECIPIENT,
      orderId: "APP-2026-1",
    };
    try {
      const before = withdrawalPosts(h.sim).length;
      const asked = await server.request(
        "tools/call",
        { name: "create_withdrawal", arguments: args },
        UI_CAPABILITIES,
      );
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
        UI_CAPABILITIES,
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
    const withUi = await rawHttp(http.url, "tools/list", {
      _meta: { [CLIENT_CAPABILITIES_META_KEY]: UI_CAPABILITIES },
    });
    expectLinked(withUi.body.result.tools);
    const without = await rawHttp(http.url, "tools/list");
    expectPlain(without.body.result.tools);
  });

  it("approves a withdrawal on the card, across requests answered by servers of their own", async () => {
    const ui = { _meta: { [CLIENT_CAPABILITIES_META_KEY]: UI_CAPABILITIES } };
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
