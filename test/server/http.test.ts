// Streamable HTTP at /mcp: stateless tool calls, DNS-rebinding protection (Host and Origin), and the
// bearer token required when bound beyond loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { rawRequest, serveHarness, RAW_INITIALIZE, JSON_HEADERS } from "../helpers/http-harness.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { READ_ONLY_TOOLS } from "../helpers/listed-tools.js";

let h: Harness;
let http: RunningHttp;
let guarded: RunningHttp;
const TOKEN = "http-test-token-0123456789";

beforeAll(async () => {
  // Configured for --http without a token, as `spacepay-mcp --http` on loopback runs by default.
  h = await startHarness({ simulator: { samplePayments: 3 }, env: { SPACEPAY_MCP_HTTP: "true" } });
  http = await serveHarness(h);
  // Same loopback bind, but with a token, as a non-loopback bind would require.
  guarded = await serveHarness(h, { token: TOKEN });
});
afterAll(async () => {
  await http?.close();
  await guarded?.close();
  await h?.close();
});

describe("Streamable HTTP", () => {
  it("serves tools to an SDK client", async () => {
    const client = new Client({ name: "http-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    const { tools } = await client.listTools();
    // Every tool annotated read-only; the others need a token (test/server/http-auth.test.ts).
    expect(tools.map((t) => t.name)).toEqual(READ_ONLY_TOOLS);
    const res = await client.callTool({ name: "list_payments", arguments: { limit: 2 } });
    expect((res.structuredContent as { payments: unknown[] }).payments).toHaveLength(2);
    await client.close();
  });

  it("refuses a foreign Host header (DNS rebinding)", async () => {
    const res = await rawRequest(http.url, { ...JSON_HEADERS, host: "evil.example:80" }, RAW_INITIALIZE);
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/Host/);
  });

  it("a proxy on this host passes its public name once SPACEPAY_MCP_ALLOWED_HOSTS lists it", async () => {
    // nginx's `proxy_set_header Host $host` from the README, in front of a loopback-bound server.
    const proxied = { ...JSON_HEADERS, host: "mcp.example.com", origin: "https://mcp.example.com" };
    expect((await rawRequest(http.url, proxied, RAW_INITIALIZE)).status).toBe(403);
    const allowing = await startHarness({
      sharedSim: h.sim,
      env: { SPACEPAY_MCP_HTTP: "true", SPACEPAY_MCP_ALLOWED_HOSTS: "mcp.example.com" },
    });
    const behindProxy = await serveHarness(allowing);
    try {
      const res = await rawRequest(behindProxy.url, proxied, RAW_INITIALIZE);
      expect(res.status).toBe(200);
      expect(res.text).toContain("spacepay-mcp");
      // Only the names listed: another one is still refused, by Host and by Origin.
      const evilHost = await rawRequest(
        behindProxy.url,
        { ...JSON_HEADERS, host: "evil.example" },
        RAW_INITIALIZE,
      );
      expect(evilHost.status).toBe(403);
      const evilOrigin = await rawRequest(
        behindProxy.url,
        { ...JSON_HEADERS, origin: "https://evil.example" },
        RAW_INITIALIZE,
      );
      expect(evilOrigin.status).toBe(403);
    } finally {
      await behindProxy.close();
      await allowing.close();
    }
  });

  it("refuses a foreign Origin and accepts a loopback one", async () => {
    const bad = await rawRequest(
      http.url,
      { ...JSON_HEADERS, origin: "https://evil.example" },
      RAW_INITIALIZE,
    );
    expect(bad.status).toBe(403);
    const port = new URL(http.url).port;
    const good = await rawRequest(
      http.url,
      { ...JSON_HEADERS, origin: `http://localhost:${port}` },
      RAW_INITIALIZE,
    );
    expect(good.status).toBe(200);
  });

  it("answers only at /mcp, and only POST (stateless)", async () => {
    expect((await rawRequest(http.url.replace("/mcp", "/other"), JSON_HEADERS, RAW_INITIALIZE)).status).toBe(
      404,
    );
    expect((await rawRequest(http.url, JSON_HEADERS)).status).toBe(405);
  });

  it("requires the bearer token when one is configured", async () => {
    expect((await rawRequest(guarded.url, JSON_HEADERS, RAW_INITIALIZE)).status).toBe(401);
    expect(
      (await rawRequest(guarded.url, { ...JSON_HEADERS, authorization: "Bearer wrong" }, RAW_INITIALIZE))
        .status,
    ).toBe(401);
    const ok = await rawRequest(
      guarded.url,
      { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}` },
      RAW_INITIALIZE,
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("spacepay-mcp");
  });

  it("answers malformed JSON with 400, not a crash", async () => {
    expect((await rawRequest(http.url, JSON_HEADERS, "{not json")).status).toBe(400);
    expect((await rawRequest(http.url, JSON_HEADERS, RAW_INITIALIZE)).status).toBe(200);
  });
});
