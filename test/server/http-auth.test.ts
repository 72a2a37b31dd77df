// Over HTTP, money-moving tools need SPACEPAY_MCP_HTTP_TOKEN, even on loopback (any local
// process can reach a loopback port). Without a token the server offers read-only tools and says so on
// stderr and in spacepay://account; with one, every request must carry it as a bearer token.
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { serveHarness, RAW_INITIALIZE, JSON_HEADERS } from "../helpers/http-harness.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import { demoEnv, requireBuild, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";

const TOKEN = "http-auth-test-token-0123456789";
const MONEY_TOOLS = ["create_payment", "create_deposit", "create_withdrawal"];
const BASE_SEPOLIA = "eip155:84532";

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "http-auth-test", version: "1" });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

async function account(client: Client): Promise<Record<string, any>> {
  const res = await client.readResource({ uri: "spacepay://account" });
  return JSON.parse((res.contents[0] as { text: string }).text) as Record<string, any>;
}

/** The runtime built from a config with --http (as `spacepay-mcp --http` builds it), served on port 0. */
async function serveFromConfig(env: Record<string, string>): Promise<{ h: Harness; http: RunningHttp }> {
  const h = await startHarness({
    simulator: { samplePayments: 2 },
    env: { SPACEPAY_MCP_HTTP: "true", ...env },
  });
  const http = await serveHarness(h, { host: h.runtime.config.host, token: h.runtime.config.mcpHttpToken });
  return { h, http };
}

describe("HTTP without SPACEPAY_MCP_HTTP_TOKEN", () => {
  let h: Harness;
  let http: RunningHttp;
  beforeAll(async () => ({ h, http } = await serveFromConfig({})));
  afterAll(async () => {
    await http?.close();
    await h?.close();
  });

  it("lists no money-moving tool, and still serves the read-only ones", async () => {
    const client = await connect(http.url);
    const names = await toolNames(client);
    for (const t of MONEY_TOOLS) expect(names).not.toContain(t);
    expect(names).toEqual(expect.arrayContaining(["get_payment", "list_payments", "list_withdrawals"]));
    const res = await client.callTool({ name: "list_payments", arguments: { limit: 1 } });
    expect(res.isError).toBeFalsy();
    await client.close();
  });

  it("a call to a money-moving tool moves nothing", async () => {
    const client = await connect(http.url);
    const before = h.sim.control.counts().requests;
    const outcome = await client
      .callTool({
        name: "create_withdrawal",
        arguments: { amountInCents: 100, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT },
      })
      .then(
        (res) => JSON.stringify(res),
        (err: unknown) => String(err),
      );
    expect(outcome).toMatch(/create_withdrawal/);
    expect(outcome).toMatch(/Unknown tool/);
    expect(h.sim.control.counts().requests).toBe(before);
    await client.close();
  });

  it("spacepay://account says money tools are disabled over HTTP, why, and how to enable them", async () => {
    const client = await connect(http.url);
    const body = await account(client);
    expect(body.http.authentication).toBe("none");
    expect(body.http.moneyTools).toMatch(/^disabled: served over HTTP without SPACEPAY_MCP_HTTP_TOKEN/);
    expect(body.http.moneyTools).toMatch(/any local process could call the server/);
    expect(body.http.moneyTools).toMatch(/set SPACEPAY_MCP_HTTP_TOKEN/);
    for (const t of MONEY_TOOLS) expect(body.disabledTools[t]).toMatch(/SPACEPAY_MCP_HTTP_TOKEN/);
    expect(body.tools).not.toContain("create_withdrawal");
    await client.close();
  });
});

describe("HTTP with SPACEPAY_MCP_HTTP_TOKEN", () => {
  let h: Harness;
  let http: RunningHttp;
  beforeAll(async () => ({ h, http } = await serveFromConfig({ SPACEPAY_MCP_HTTP_TOKEN: TOKEN })));
  afterAll(async () => {
    await http?.close();
    await h?.close();
  });

  it("refuses a request without the bearer token, or with a wrong one, with a 401 that says what to send", async () => {
    for (const authorization of [undefined, "Bearer wrong-token", TOKEN]) {
      const res = await fetch(http.url, {
        method: "POST",
        headers: authorization ? { ...JSON_HEADERS, authorization } : JSON_HEADERS,
        body: JSON.stringify(RAW_INITIALIZE),
        signal: AbortSignal.timeout(5_000),
      });
      expect(res.status).toBe(401);
      // Not a bare `Bearer` (which the Inspector takes for an OAuth challenge): what to send, in the
      // challenge and in the message the person reads.
      const challenge = res.headers.get("www-authenticate") ?? "";
      expect(challenge).toMatch(
        /^Bearer .*error_description="[^"]*SPACEPAY_MCP_HTTP_TOKEN[^"]*Authorization: Bearer/,
      );
      const text = await res.text();
      expect(JSON.parse(text).error.message).toMatch(
        /static bearer token, not OAuth.*SPACEPAY_MCP_HTTP_TOKEN.*Authorization: Bearer <token>/,
      );
      expect(text + challenge).not.toContain(TOKEN);
    }
    await expect(connect(http.url)).rejects.toThrow();
  });

  it("with the bearer token, lists the money-moving tools and runs them", async () => {
    const client = await connect(http.url, TOKEN);
    const names = await toolNames(client);
    for (const t of MONEY_TOOLS) expect(names).toContain(t);
    const before = h.sim.control.counts().payments;
    const res = await client.callTool({
      name: "create_payment",
      arguments: { amountInCents: 2_500, orderId: "http-auth-1" },
    });
    expect(res.isError, JSON.stringify(res.content)).toBeFalsy();
    expect(h.sim.control.counts().payments).toBe(before + 1);
    const body = await account(client);
    expect(body.http).toEqual({ authentication: "bearer token (SPACEPAY_MCP_HTTP_TOKEN)" });
    expect(JSON.stringify(body)).not.toContain(TOKEN);
    await client.close();
  });
});

describe("the built server: spacepay-mcp --http", () => {
  let root: string;
  const servers: HttpServer[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    // A state directory per server, in the file's directory: the servers run until the end.
    const server = await startHttpServer(demoEnv(path.join(root, String(servers.length)), extra));
    servers.push(server);
    return server;
  };
  it.beforeAll(({ fileDir }) => {
    requireBuild();
    root = fileDir;
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it("without a token, says on stderr that money-moving tools are disabled and why, and lists none", async () => {
    const server = await start();
    expect(server.stderr()).toContain(
      // Every tool not annotated read-only, create_quote included (it replaces the token's active quote).
      "tools not offered (create_payment, create_deposit, create_quote, create_withdrawal): served over HTTP without SPACEPAY_MCP_HTTP_TOKEN",
    );
    expect(server.stderr()).toMatch(/set SPACEPAY_MCP_HTTP_TOKEN/);
    const client = await connect(server.url);
    const names = await toolNames(client);
    for (const t of MONEY_TOOLS) expect(names).not.toContain(t);
    await client.close();
  });

  it("with a token, offers the money-moving tools to a client that sends it, and only to one", async () => {
    const server = await start({ SPACEPAY_MCP_HTTP_TOKEN: TOKEN });
    expect(server.stderr()).not.toMatch(/tools not offered/);
    expect(server.stderr()).not.toContain(TOKEN);
    await expect(connect(server.url)).rejects.toThrow();
    const client = await connect(server.url, TOKEN);
    expect(await toolNames(client)).toEqual(expect.arrayContaining(MONEY_TOOLS));
    await client.close();
  });
});
