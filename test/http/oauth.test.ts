// OAuth 2.1 on Streamable HTTP, against a test issuer on a loopback port: RFC 9728 metadata, the 401
// challenges for missing and bad tokens, scopes deciding which tools a token sees and may call (403
// insufficient_scope before anything runs), key rotation, and an issuer that is down for a while.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { SignJWT, base64url } from "jose";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { createOAuthGate, type OAuthOptions } from "../../src/http/oauth.js";
import { SCOPE_POLICY } from "../../src/server/select-tools.js";
import { serveHarness, RAW_INITIALIZE } from "../helpers/http-harness.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import { LISTED_TOOLS, READ_ONLY_TOOLS } from "../helpers/listed-tools.js";
import { demoEnv, requireBuild, startHttpServer } from "../ecosystem/helpers.js";
import { startTestIssuer } from "../helpers/test-issuer.js";
import { rawHttp } from "../helpers/mcp2026.js";

// The public URL of /mcp, as behind a reverse proxy: what tokens must name and metadata points to.
const AUDIENCE = "https://mcp.test.example/mcp";
const METADATA_URL = "https://mcp.test.example/.well-known/oauth-protected-resource/mcp";
const BASE_SEPOLIA = "eip155:84532";
const ALL_SCOPES = "spacepay:read spacepay:payments spacepay:withdrawals";

const withdrawal = { amountInCents: 150, chainId: BASE_SEPOLIA, recipientAddress: RECIPIENT };

async function post(url: string, body: unknown, token?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, challenge: res.headers.get("www-authenticate"), text: await res.text() };
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "oauth-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

interface OAuthServed {
  issuer: Awaited<ReturnType<typeof startTestIssuer>>;
  h: Harness;
  http: RunningHttp;
  /** Stops the server, its runtime and the issuer. */
  close(): Promise<void>;
}

/** A test issuer, and a runtime configured for it (confirmations by token) served over HTTP. */
async function serveWithIssuer(
  discovery?: "oauth" | "openid",
  extra: Partial<OAuthOptions> = {},
): Promise<OAuthServed> {
  const issuer = await startTestIssuer({ audience: AUDIENCE, discovery });
  const h = await startHarness({
    simulator: { samplePayments: 2 },
    env: {
      SPACEPAY_MCP_HTTP: "true",
      SPACEPAY_OAUTH_ISSUER: issuer.url,
      SPACEPAY_OAUTH_AUDIENCE: AUDIENCE,
      SPACEPAY_CONFIRM: "token",
    },
  });
  const oauth = createOAuthGate({ ...h.runtime.config.oauth!, ...SCOPE_POLICY, jwksCooldownMs: 0, ...extra });
  const http = await serveHarness(h, { oauth });
  return {
    issuer,
    h,
    http,
    async close() {
      await http.close();
      await h.close();
      await issuer.close();
    },
  };
}

/** Registers a suite's hooks: serveWithIssuer before its tests (handed to `take`), closed after them. */
function useServedWithIssuer(take: (served: OAuthServed) => void): void {
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const served = await serveWithIssuer();
    close = served.close;
    take(served);
  });
  afterAll(() => close?.());
}

describe("OAuth resource server", () => {
  let issuer: OAuthServed["issuer"];
  let h: Harness;
  let http: RunningHttp;
  useServedWithIssuer((served) => ({ issuer, h, http } = served));

  it("serves RFC 9728 metadata at the root and the path-suffixed well-known paths, without a token", async () => {
    for (const path of [
      "/.well-known/oauth-protected-resource",
      "/.well-known/oauth-protected-resource/mcp",
    ]) {
      const res = await fetch(new URL(path, http.url), { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: AUDIENCE,
        authorization_servers: [issuer.url],
        scopes_supported: ["spacepay:read", "spacepay:payments", "spacepay:withdrawals"],
        bearer_methods_supported: ["header"],
      });
    }
  });

  it("answers a request without a token with 401 and where to find the metadata", async () => {
    const res = await post(http.url, RAW_INITIALIZE);
    expect(res.status).toBe(401);
    expect(res.challenge).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
  });

  it("refuses bad tokens with 401 invalid_token, saying why, never echoing the token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = (h: object) => base64url.encode(JSON.stringify(h));
    const claims = base64url.encode(
      JSON.stringify({ iss: issuer.url, aud: AUDIENCE, sub: "user-a", scope: ALL_SCOPES, exp: now + 300 }),
    );
    const cases: Array<[string, Promise<string> | string, RegExp]> = [
      ["expired", issuer.token({ exp: now - 120 }), /expired/],
      ["not yet valid", issuer.token({ nbf: now + 600 }), /not valid yet/],
      ["wrong audience", issuer.token({ aud: "https://other.example/mcp" }), /another resource/],
      ["wrong issuer", issuer.token({ iss: "https://evil.example" }), /another issuer/],
      ["forged signature (another key, same kid)", issuer.token({}, { forge: true }), /signature is invalid/],
      [
        "alg none",
        `${header({ alg: "none", kid: issuer.key().kid })}.${claims}.`,
        /algorithm is not accepted/,
      ],
      [
        "HS256 with a shared secret",
        new SignJWT({ scope: ALL_SCOPES })
          .setProtectedHeader({ alg: "HS256", kid: issuer.key().kid })
          .setIssuer(issuer.url)
          .setAudience(AUDIENCE)
          .setSubject("user-a")
          .setExpirationTime(now + 300)
          .sign(new TextEncoder().encode("a-secret-anyone-could-guess-0123456789")),
        /algorithm is not accepted/,
      ],
      ["not a JWT", "not-a-jwt", /not a valid signed JWT/],
    ];
    for (const [name, tokenPromise, why] of cases) {
      const token = await tokenPromise;
      const res = await post(http.url, RAW_INITIALIZE, token);
      expect(res.status, name).toBe(401);
      expect(res.challenge, name).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"/);
      expect(res.challenge, name).toContain(`resource_metadata="${METADATA_URL}"`);
      expect(res.challenge, name).toMatch(why);
      expect(res.text + res.challenge, name).not.toContain(token);
    }
  });

  it("refuses tokens whose claims jose accepts but we must not: a blank sub, an iat in the future, a lifetime over the bound", async () => {
    const now = Math.floor(Date.now() / 1000);
    const day = 86_400;
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ["empty sub", issuer.token({ sub: "" }), /sub claim is empty/],
      ["blank sub", issuer.token({ sub: "  " }), /sub claim is empty/],
      [
        "iat a year ahead",
        issuer.token({ iat: now + 365 * day, exp: now + 365 * day + 300 }),
        /iat is in the future/,
      ],
      ["ten-year exp", issuer.token({ exp: now + 10 * 365 * day }), /lives longer than 86400 seconds/],
      [
        "a day and a minute",
        issuer.token({ iat: now - 60, exp: now + day }),
        /lives longer than 86400 seconds/,
      ],
    ];
    for (const [name, tokenPromise, why] of cases) {
      const token = await tokenPromise;
      const res = await post(http.url, RAW_INITIALIZE, token);
      expect(res.status, name).toBe(401);
      expect(res.challenge, name).toMatch(/^Bearer error="invalid_token"/);
      expect(res.challenge, name).toMatch(why);
    }
    // Within the bounds: iat inside the clock skew, and exactly a day's lifetime.
    for (const claims of [{ iat: now + 20 }, { iat: now, exp: now + day }]) {
      expect((await post(http.url, RAW_INITIALIZE, await issuer.token(claims))).status).toBe(200);
    }
  });

  it("a read-only token sees only the read tools, and a call beyond them is 403 naming the scope", async () => {
    const token = await issuer.token({ scope: "spacepay:read" });
    const client = await connect(http.url, token);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(READ_ONLY_TOOLS);
    const read = await client.callTool({ name: "list_payments", arguments: { limit: 1 } });
    expect(read.isError).toBeFalsy();
    await client.close();

    const before = h.sim.control.counts();
    for (const [tool, args, scope] of [
      ["create_withdrawal", withdrawal, "spacepay:withdrawals"],
      ["create_payment", { amountInCents: 2_500, orderId: "oauth-1" }, "spacepay:payments"],
      ["create_quote", { paymentId: "pay_x", token: "USDC", chainId: BASE_SEPOLIA }, "spacepay:payments"],
    ] as const) {
      const res = await post(
        http.url,
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: tool, arguments: args } },
        token,
      );
      expect(res.status, tool).toBe(403);
      expect(res.challenge, tool).toBe(
        `Bearer error="insufficient_scope", scope="${scope}", error_description="this call needs the ${scope} scope", resource_metadata="${METADATA_URL}"`,
      );
    }
    expect(h.sim.control.counts()).toEqual(before);
  });

  it("a token without spacepay:read cannot read resources", async () => {
    const token = await issuer.token({ scope: "spacepay:payments" });
    const res = await post(
      http.url,
      { jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri: "spacepay://payments/recent" } },
      token,
    );
    expect(res.status).toBe(403);
    expect(res.challenge).toContain('scope="spacepay:read"');
  });

  it("without spacepay:read, resources/list shows only the static resources, and listens and completions are 403", async () => {
    const instance = /^spacepay:\/\/(payments|withdrawals)\/(?!recent$)/;
    const list = async (scope: string) => {
      const client = await connect(http.url, await issuer.token({ scope }));
      try {
        return (await client.listResources()).resources.map((r) => r.uri);
      } finally {
        await client.close();
      }
    };
    const reader = await list("spacepay:read");
    expect(reader.filter((uri) => instance.test(uri)).length).toBeGreaterThan(0);
    for (const scope of ["openid", "spacepay:payments spacepay:withdrawals"]) {
      expect(await list(scope), scope).toEqual(reader.filter((uri) => !instance.test(uri)));
    }

    const token = await issuer.token({ scope: "openid" });
    const auth = { authorization: `Bearer ${token}` };
    for (const method of ["server/discover", "prompts/list", "resources/templates/list", "tools/list"]) {
      const res = await rawHttp(http.url, method, {}, auth);
      expect(res.status, `${method}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.error, method).toBeUndefined();
    }
    const refused: Array<[string, Record<string, unknown>]> = [
      ["subscriptions/listen", { notifications: { resourceSubscriptions: ["spacepay://payments/pay_1"] } }],
      [
        "completion/complete",
        {
          ref: { type: "ref/resource", uri: "spacepay://payments/{paymentId}" },
          argument: { name: "paymentId", value: "" },
        },
      ],
      ["resources/read", { uri: "spacepay://payments/recent" }],
    ];
    for (const [method, params] of refused) {
      const res = await rawHttp(http.url, method, params, auth);
      expect(res.status, method).toBe(403);
      expect(res.headers.get("www-authenticate"), method).toContain('scope="spacepay:read"');
    }
  });

  it("scopes add up: read and payments see the payment tools but not withdrawals", async () => {
    const client = await connect(http.url, await issuer.token({ scope: "spacepay:read spacepay:payments" }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["create_payment", "create_deposit", "create_quote", "get_payment"]),
    );
    expect(names).not.toContain("create_withdrawal");
    const account = await client.readResource({ uri: "spacepay://account" });
    const body = JSON.parse((account.contents[0] as { text: string }).text) as Record<string, any>;
    expect(body.http).toEqual({
      authentication: "OAuth 2.1 access tokens",
      issuer: issuer.url,
      audience: AUDIENCE,
      maxTokenLifetimeSeconds: 86_400,
    });
    expect(body.tools).toEqual(names);
    await client.close();
  });

  it("follows a key rotation: a token under the new kid is accepted, one under the withdrawn key is not", async () => {
    const oldKey = issuer.key();
    expect((await post(http.url, RAW_INITIALIZE, await issuer.token({}))).status).toBe(200);
    const fetched = issuer.served.jwks;
    await issuer.rotate();
    expect((await post(http.url, RAW_INITIALIZE, await issuer.token({}))).status).toBe(200);
    expect(issuer.served.jwks).toBeGreaterThan(fetched);
    const stale = await post(http.url, RAW_INITIALIZE, await issuer.token({}, { key: oldKey }));
    expect(stale.status).toBe(401);
    expect(stale.challenge).toMatch(/key the issuer does not publish/);
  });
});

describe("OAuth callers and the money guard", () => {
  let issuer: OAuthServed["issuer"];
  let h: Harness;
  let http: RunningHttp;
  useServedWithIssuer((served) => ({ issuer, h, http } = served));

  const as = async (subject: string) =>
    connect(http.url, await issuer.token({ sub: subject, scope: ALL_SCOPES }));
  type Answer = {
    isError?: boolean;
    structuredContent?: Record<string, any>;
    content: Array<{ text?: string }>;
  };
  const withdraw = (client: Client, extra: Record<string, unknown> = {}) =>
    client.callTool({ name: "create_withdrawal", arguments: { ...withdrawal, ...extra } }) as Promise<Answer>;
  const auditLines = () =>
    readFileSync(path.join(h.stateDir, "audit.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { tool: string; caller?: string; outcome?: string });

  it("a confirmed withdrawal goes through, and every audit line names the token's subject", async () => {
    const alice = await as("alice@example.com");
    const asked = await withdraw(alice);
    expect(asked.structuredContent?.status).toBe("confirmation_required");
    const before = h.sim.control.counts().withdrawals;
    const done = await withdraw(alice, { confirmationToken: asked.structuredContent?.confirmationToken });
    expect(done.isError, JSON.stringify(done.content)).toBeFalsy();
    expect(done.structuredContent?.status).toBe("done");
    expect(h.sim.control.counts().withdrawals).toBe(before + 1);
    const lines = auditLines().filter((l) => l.tool === "create_withdrawal");
    expect(lines.map((l) => l.outcome ?? "intent")).toEqual(["confirmation_required", "intent", "done"]);
    for (const line of lines) expect(line.caller).toBe("alice@example.com");
    await alice.close();
  });

  it("a confirmation issued to one subject is refused to another, sends nothing, and still works for its owner", async () => {
    const alice = await as("alice@example.com");
    const bob = await as("bob@example.com");
    const args = { amountInCents: 175 };
    const asked = await withdraw(alice, args);
    const confirmationToken = asked.structuredContent?.confirmationToken as string;
    const before = h.sim.control.counts().withdrawals;

    const stolen = await withdraw(bob, { ...args, confirmationToken });
    expect(stolen.isError).toBe(true);
    expect(stolen.structuredContent).toMatchObject({ status: "refused", rule: "confirmationToken" });
    expect(stolen.content[0]?.text).toMatch(/issued to another caller.*Nothing was sent/);
    expect(h.sim.control.counts().withdrawals).toBe(before);
    const refusal = auditLines().at(-1);
    expect(refusal).toMatchObject({ outcome: "refused", caller: "bob@example.com" });

    const own = await withdraw(alice, { ...args, confirmationToken });
    expect(own.structuredContent?.status).toBe("done");
    expect(h.sim.control.counts().withdrawals).toBe(before + 1);
    await alice.close();
    await bob.close();
  });
});

describe("OAuth issuer discovery", () => {
  it("falls back to OpenID discovery when the issuer has no RFC 8414 metadata", async () => {
    const { issuer, http, close } = await serveWithIssuer("openid");
    try {
      expect((await post(http.url, RAW_INITIALIZE, await issuer.token({}))).status).toBe(200);
    } finally {
      await close();
    }
  });

  it("an issuer that is down answers 503 (the server stays up), and is asked again after a backoff", async () => {
    const { issuer, http, close } = await serveWithIssuer("oauth", { retryBaseMs: 50 });
    // Before the first request: the server reads the metadata only when a token needs checking.
    issuer.failMetadata(1);
    try {
      const token = await issuer.token({});
      const down = await post(http.url, RAW_INITIALIZE, token);
      expect(down.status).toBe(503);
      expect(down.text).toMatch(/authorization server's metadata could not be read/);
      expect(down.text).not.toContain(token);
      // Bounded: the backoff is 50 ms; poll until the server asks the issuer again.
      let status = down.status;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        status = (await post(http.url, RAW_INITIALIZE, token)).status;
      }
      expect(status).toBe(200);
    } finally {
      await close();
    }
  });
});

describe("the built server: spacepay-mcp --http with OAuth", () => {
  it("serves the metadata, challenges without a token, and offers a full-scope token every tool", async ({
    stateDir: dir,
  }) => {
    requireBuild();
    const issuer = await startTestIssuer({ audience: AUDIENCE });
    const server = await startHttpServer(
      demoEnv(dir, { SPACEPAY_OAUTH_ISSUER: issuer.url, SPACEPAY_OAUTH_AUDIENCE: AUDIENCE }),
    );
    try {
      expect(server.stderr()).not.toMatch(/tools not offered/);
      const meta = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", server.url));
      expect(((await meta.json()) as { resource: string }).resource).toBe(AUDIENCE);
      expect((await post(server.url, RAW_INITIALIZE)).challenge).toBe(
        `Bearer resource_metadata="${METADATA_URL}"`,
      );
      const token = await issuer.token({ scope: ALL_SCOPES });
      const client = await connect(server.url, token);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(LISTED_TOOLS);
      await client.close();
      expect(server.stderr()).not.toContain(token);
    } finally {
      await server.stop();
      await issuer.close();
    }
  });
});
