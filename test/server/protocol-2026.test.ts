// Both protocol eras on one server: 2026-07-28 clients (the v2 SDK client pinned to it, and raw
// clients writing the envelope and headers by hand) list tools, call a read tool, read a resource and
// get a prompt over stdio and over HTTP, beside a 2025 (v1 SDK) client on the same HTTP port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client as Client2025 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as Http2025 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport as Stdio2025 } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Client } from "@modelcontextprotocol/client";
import { rawRequest, useServedHarness } from "../helpers/http-harness.js";
import { READ_ONLY_TOOLS, LISTED_TOOLS } from "../helpers/listed-tools.js";
import {
  CLI,
  REVISION,
  httpClient2026,
  rawHttp,
  rawHttpBody,
  rawStdio,
  stdioClient2026,
  withEnvelope,
  builtServerEnv,
  type BuiltServerEnv,
} from "../helpers/mcp2026.js";

const { h, http } = useServedHarness({
  simulator: { samplePayments: 3 },
  env: { SPACEPAY_MCP_HTTP: "true" },
});
let stdio: BuiltServerEnv;
beforeAll(() => {
  stdio = builtServerEnv(h.sim.url);
});
afterAll(() => stdio?.remove());

/** What every client does here: list tools, call two read tools, read a resource, get a prompt. */
async function exercise(client: Client, expectedTools: readonly string[]) {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(expectedTools);
  const listed = await client.callTool({ name: "list_payments", arguments: { limit: 2 } });
  const payments = (listed.structuredContent as { payments: Array<{ id: string }> }).payments;
  expect(payments).toHaveLength(2);
  const one = await client.callTool({ name: "get_payment", arguments: { paymentId: payments[0]!.id } });
  expect(one.isError).toBeFalsy();
  expect((one.structuredContent as { payment: { id: string } }).payment.id).toBe(payments[0]!.id);
  const read = await client.readResource({ uri: "spacepay://payments/recent" });
  expect(JSON.parse((read.contents[0] as { text: string }).text)).toHaveLength(3);
  const prompt = await client.getPrompt({ name: "support_lookup", arguments: { query: "order-7" } });
  expect((prompt.messages[0]!.content as { text: string }).text).toContain('"order-7"');
}

describe("2026-07-28 with the v2 SDK client (pinned)", () => {
  it("works over stdio", async () => {
    const { client, close } = await stdioClient2026(stdio.env);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(REVISION);
      await exercise(client, LISTED_TOOLS);
    } finally {
      await close();
    }
  }, 30_000);

  it("works over HTTP, on the port a 2025 client uses at the same time", async () => {
    const client = await httpClient2026(http.url);
    const old = new Client2025({ name: "sdk-2025", version: "1" });
    await old.connect(new Http2025(new URL(http.url)));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(REVISION);
      await exercise(client, READ_ONLY_TOOLS);
      expect((await old.listTools()).tools.map((t) => t.name)).toEqual(READ_ONLY_TOOLS);
    } finally {
      await client.close();
      await old.close();
    }
  }, 30_000);
});

describe("2026-07-28 on the wire, by hand", () => {
  it("HTTP: discover, list, call, read and get, each with resultType", async () => {
    const discover = await rawHttp(http.url, "server/discover");
    expect(discover.status).toBe(200);
    expect(discover.body.result.supportedVersions).toContain(REVISION);
    expect(discover.body.result._meta["io.modelcontextprotocol/serverInfo"].name).toBe("spacepay-mcp");

    const list = await rawHttp(http.url, "tools/list");
    expect(list.body.result.tools.map((t: { name: string }) => t.name)).toEqual(READ_ONLY_TOOLS);
    expect(list.body.result.resultType).toBe("complete");

    const call = await rawHttp(http.url, "tools/call", { name: "list_payments", arguments: { limit: 1 } });
    expect(call.body.result.resultType).toBe("complete");
    const id = call.body.result.structuredContent.payments[0].id as string;
    const got = await rawHttp(http.url, "tools/call", { name: "get_payment", arguments: { paymentId: id } });
    expect(got.body.result.structuredContent.payment.id).toBe(id);

    const read = await rawHttp(http.url, "resources/read", { uri: "spacepay://account" });
    expect(JSON.parse(read.body.result.contents[0].text).mode).toBe("test");
    expect(read.body.result.resultType).toBe("complete");

    const prompt = await rawHttp(http.url, "prompts/get", {
      name: "daily_reconciliation",
      arguments: { date: "2026-11-20" },
    });
    expect(prompt.body.result.messages[0].content.text).toContain('"2026-11-20"');
  });

  it("HTTP: each request's own server answers every method, completion of prompts and templates included", async () => {
    // A 2026-07-28 request's server registers only the handlers its one method needs (create-server.ts).
    const prompts = await rawHttp(http.url, "prompts/list");
    expect(prompts.body.result.prompts.map((p: { name: string }) => p.name)).toContain(
      "daily_reconciliation",
    );
    const templates = await rawHttp(http.url, "resources/templates/list");
    expect(templates.body.result.resourceTemplates.map((t: { name: string }) => t.name)).toContain("payment");
    const resources = await rawHttp(http.url, "resources/list");
    expect(resources.body.result.resources.map((r: { uri: string }) => r.uri)).toContain(
      "spacepay://account",
    );
    const day = await rawHttp(http.url, "completion/complete", {
      ref: { type: "ref/prompt", name: "daily_reconciliation" },
      argument: { name: "date", value: "ye" },
    });
    expect(day.body.result.completion.values).toEqual(["yesterday"]);
    const call = await rawHttp(http.url, "tools/call", { name: "list_payments", arguments: { limit: 1 } });
    const id = call.body.result.structuredContent.payments[0].id as string;
    const ids = await rawHttp(http.url, "completion/complete", {
      ref: { type: "ref/resource", uri: "spacepay://payments/{paymentId}" },
      argument: { name: "paymentId", value: id.slice(0, 8) },
    });
    expect(ids.body.result.completion.values).toContain(id);
  });

  it("ping answers {} on 2025 HTTP and stdio; 2026-07-28 removed it, and every transport says so", async () => {
    const old = new Client2025({ name: "sdk-2025", version: "1" });
    await old.connect(new Http2025(new URL(http.url)));
    const oldStdio = new Client2025({ name: "sdk-2025", version: "1" });
    await oldStdio.connect(
      new Stdio2025({
        command: process.execPath,
        args: [CLI],
        env: { PATH: process.env.PATH ?? "", ...stdio.env },
      }),
    );
    const client = await httpClient2026(http.url);
    const server = rawStdio(stdio.env);
    try {
      expect(await old.ping()).toEqual({});
      expect(await oldStdio.ping()).toEqual({});
      // 2026-07-28 has no ping (nor logging/setLevel): the SDK refuses it from the method registry of
      // that revision, the same over stdio, whose server registers every handler, as over HTTP, whose
      // per-request server registers only its method's (create-server.ts handlersFor).
      const overHttp = await rawHttp(http.url, "ping");
      expect([overHttp.status, overHttp.body.error]).toEqual([
        404,
        { code: -32601, message: "Method not found" },
      ]);
      expect((await server.request("ping")).error).toEqual({ code: -32601, message: "Method not found" });
      // And a 2026-07-28 SDK client never sends one.
      await expect(client.ping()).rejects.toThrow(
        /'ping' is not supported by the negotiated protocol version/,
      );
    } finally {
      await old.close();
      await oldStdio.close();
      await client.close();
      server.close();
    }
  }, 20_000);

  it("stdio: discover, then list, call, read and get on the same connection", async () => {
    const server = rawStdio(stdio.env);
    try {
      const discover = await server.request("server/discover");
      expect(discover.result.supportedVersions).toContain(REVISION);
      const list = await server.request("tools/list");
      expect(list.result.tools.map((t: { name: string }) => t.name)).toEqual(LISTED_TOOLS);
      const call = await server.request("tools/call", { name: "list_payments", arguments: { limit: 1 } });
      const id = call.result.structuredContent.payments[0].id as string;
      const got = await server.request("tools/call", { name: "get_payment", arguments: { paymentId: id } });
      expect(got.result.structuredContent.payment.id).toBe(id);
      expect(got.result.resultType).toBe("complete");
      const read = await server.request("resources/read", { uri: `spacepay://payments/${id}` });
      expect(JSON.parse(read.result.contents[0].text).id).toBe(id);
      const prompt = await server.request("prompts/get", {
        name: "support_lookup",
        arguments: { query: id },
      });
      expect(prompt.result.messages[0].content.text).toContain(id);
    } finally {
      server.close();
    }
  }, 30_000);
});

describe("progress over HTTP", () => {
  // A pending payment that will not change: wait_for_payment polls it until its 1 s timeout.
  async function pendingPayment(): Promise<string> {
    // Straight through the API client: this HTTP server (no token) offers no money-moving tools.
    const created = await h.runtime.api.createPayment({ amountInCents: 1500, orderId: `sse-${Date.now()}` });
    return created.data.payment.id;
  }
  const args = async () => ({ paymentId: await pendingPayment(), timeoutSeconds: 1 });

  it("reaches a 2025 client over an SSE response", async () => {
    const old = new Client2025({ name: "sdk-2025", version: "1" });
    await old.connect(new Http2025(new URL(http.url)));
    try {
      const seen: string[] = [];
      const res = await old.callTool({ name: "wait_for_payment", arguments: await args() }, undefined, {
        onprogress: (p) => seen.push(String(p.message)),
      });
      expect((res.structuredContent as { timedOut: boolean }).timedOut).toBe(true);
      expect(seen[0]).toBe("status pending");
    } finally {
      await old.close();
    }
  });

  it("reaches a 2026-07-28 client over an SSE response", async () => {
    const client = await httpClient2026(http.url);
    try {
      const seen: string[] = [];
      const res = await client.callTool(
        { name: "wait_for_payment", arguments: await args() },
        { onprogress: (p) => seen.push(String(p.message)) },
      );
      expect((res.structuredContent as { timedOut: boolean }).timedOut).toBe(true);
      expect(seen[0]).toBe("status pending");
    } finally {
      await client.close();
    }
  });

  it("leaves a call without a progress token a plain JSON answer", async () => {
    const id = (await args()).paymentId;
    const reply = await rawHttp(http.url, "tools/call", {
      name: "get_payment",
      arguments: { paymentId: id },
    });
    expect(reply.headers.get("content-type")).toContain("application/json");
  });
});

describe("money calls on 2026-07-28", () => {
  // A client that declares elicitation is asked through input_required (test/safety-e2e/input-required*);
  // one that does not gets the confirmation-token round trip, and nothing is created first.
  it("give a client without elicitation the token round trip (stdio)", async () => {
    const server = rawStdio(stdio.env);
    const noElicitation = {};
    const args = { amountInCents: 4200, orderId: "order-2026-token" };
    try {
      const posts = () => h.sim.control.requests({ method: "POST" }).length;
      const before = posts();
      const asked = await server.request(
        "tools/call",
        { name: "create_payment", arguments: args },
        noElicitation,
      );
      expect(asked.result.structuredContent.status).toBe("confirmation_required");
      expect(posts()).toBe(before);
      const token = asked.result.structuredContent.confirmationToken as string;
      const done = await server.request(
        "tools/call",
        { name: "create_payment", arguments: { ...args, confirmationToken: token } },
        noElicitation,
      );
      expect(done.result.structuredContent.status).toBe("done");
      expect(posts()).toBe(before + 1);
    } finally {
      server.close();
    }
  }, 20_000);
});

describe("what a strict client checks", () => {
  const good = withEnvelope();

  it("HTTP validates the Mcp-Method and Mcp-Name headers of a 2026-07-28 request", async () => {
    const wrong = await rawHttp(http.url, "tools/list", {}, { "mcp-method": "prompts/list" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe(-32020);
    const missing = await rawHttp(
      http.url,
      "tools/call",
      { name: "get_payment", arguments: { paymentId: "x" } },
      { "mcp-name": "" },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("Mcp-Name");
    // Each rejection still names the request it answers.
    expect(typeof missing.body.id).toBe("number");
  });

  it("refuses JSON-RPC batches on 2026-07-28", async () => {
    const batch = [1, 2].map((id) => ({ jsonrpc: "2.0", id, method: "tools/list", params: good }));
    const res = await rawHttpBody(http.url, batch, { "mcp-method": "tools/list" });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(/batch/i);
  });

  it("answers a malformed envelope or malformed params -32602 with a short message, on both transports", async () => {
    const badVersion = withEnvelope();
    (badVersion._meta as Record<string, unknown>)["io.modelcontextprotocol/protocolVersion"] = 7;
    const envelopeReply = await rawHttpBody(
      http.url,
      { jsonrpc: "2.0", id: 41, method: "tools/list", params: badVersion },
      { "mcp-method": "tools/list" },
    );
    expect(JSON.parse(envelopeReply.text)).toMatchObject({ id: 41, error: { code: -32602 } });

    const badUri = { jsonrpc: "2.0", id: 42, method: "resources/read", params: { ...good, uri: 5 } };
    const overHttp = await rawHttpBody(http.url, badUri, { "mcp-method": "resources/read", "mcp-name": "5" });
    const server = rawStdio(stdio.env);
    try {
      for (const reply of [JSON.parse(overHttp.text), await server.send(badUri)]) {
        expect(reply.id).toBe(42);
        expect(reply.error.code).toBe(-32602);
        expect(reply.error.message).toBe("resources/read: missing or invalid params.uri");
      }
      const noName = await server.send({ id: 43, method: "tools/call", params: good });
      expect(noName.error).toEqual({ code: -32602, message: "tools/call: missing or invalid params.name" });
    } finally {
      server.close();
    }
  }, 20_000);

  it("stdio checks the envelope's version on every 2026-07-28 request, not only the first", async () => {
    const server = rawStdio(stdio.env);
    try {
      expect((await server.request("tools/list")).result.tools.length).toBeGreaterThan(0);
      const stale = withEnvelope();
      (stale._meta as Record<string, unknown>)["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
      const wrong = await server.send({ id: "v1", method: "tools/list", params: stale });
      expect(wrong.error).toMatchObject({
        code: -32022,
        data: { supported: [REVISION], requested: "2099-01-01" },
      });
      const none = await server.send({ id: "v2", method: "tools/list", params: {} });
      expect(none.error.code).toBe(-32022);
      expect(none.error.message).toContain(REVISION);
      // The connection goes on for requests that name the version.
      expect((await server.request("tools/list")).result.tools.length).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  }, 20_000);

  it("HTTP's answer to an unknown MCP-Protocol-Version lists every version served, 2026-07-28 first", async () => {
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
    const res = await rawHttpBody(http.url, list, { "mcp-protocol-version": "1999-01-01" });
    expect(res.status).toBe(400);
    const answer = JSON.parse(res.text);
    expect(answer.id).toBe(1);
    const message = answer.error.message as string;
    expect(message).toContain("1999-01-01");
    expect(message).toMatch(/supported versions: 2026-07-28, 2025-11-25, 2025-06-18/);
  });

  it("an HTTP-level refusal is decided from the headers: id null, body unread, connection closed", async () => {
    const body = { jsonrpc: "2.0", id: "req-7", method: "tools/list", params: good };
    const foreignHost = await rawRequest(
      http.url,
      { host: "evil.example", "content-type": "application/json" },
      body,
    );
    const wrongPath = await rawRequest(
      http.url.replace("/mcp", "/other"),
      { "content-type": "application/json" },
      body,
    );
    expect([foreignHost.status, wrongPath.status]).toEqual([403, 404]);
    for (const res of [foreignHost, wrongPath]) {
      expect(JSON.parse(res.text)).toMatchObject({ id: null, error: { code: -32000 } });
      expect(res.headers.connection).toBe("close");
    }
    const notJson = await rawHttpBody(http.url, "{not json");
    expect(JSON.parse(notJson.text)).toMatchObject({ id: null, error: { code: -32700 } });
  });
});
