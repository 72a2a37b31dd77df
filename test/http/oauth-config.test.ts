// The OAuth settings: issuer and audience come together, are https (plain http on loopback only, for
// a local test issuer), replace the shared HTTP token rather than combine with it, and allow binding
// beyond loopback. Each refusal names the variable and the rule.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { configError } from "../helpers/config-error.js";

const ISSUER = "https://login.example.com/realms/spacepay";
const AUDIENCE = "https://mcp.example.com/mcp";
const load = (env: Record<string, string>, flags: Record<string, string | boolean> = {}) =>
  loadConfig({ env, flags, platform: "linux", homedir: "/home/ada" });

const problem = (env: Record<string, string>, flags: Record<string, string | boolean> = {}) =>
  configError(() => load(env, flags));

describe("OAuth settings", () => {
  it("both set: OAuth is on, exactly as typed (iss and aud are compared as strings)", () => {
    const c = load({ SPACEPAY_OAUTH_ISSUER: ISSUER + "/", SPACEPAY_OAUTH_AUDIENCE: AUDIENCE });
    expect(c.oauth).toEqual({ issuer: ISSUER + "/", audience: AUDIENCE, maxTokenLifetimeSeconds: 86_400 });
    expect(load({}).oauth).toBeNull();
  });

  it("SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS bounds a token's lifetime (a day by default), within a minute and a year", () => {
    const both = { SPACEPAY_OAUTH_ISSUER: ISSUER, SPACEPAY_OAUTH_AUDIENCE: AUDIENCE };
    expect(
      load({ ...both, SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS: "3600" }).oauth?.maxTokenLifetimeSeconds,
    ).toBe(3600);
    const err = problem({ ...both, SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS: "0" });
    expect(err.variable).toBe("SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS");
    expect(err.message).toMatch(/below the minimum 60.*Accepted: an integer from 60 to 31536000/);
  });

  it("one without the other is refused, naming the missing variable", () => {
    const a = problem({ SPACEPAY_OAUTH_ISSUER: ISSUER });
    expect(a.variable).toBe("SPACEPAY_OAUTH_AUDIENCE");
    expect(a.message).toMatch(
      /SPACEPAY_OAUTH_ISSUER is set but SPACEPAY_OAUTH_AUDIENCE is not.*set both, or neither/,
    );
    const b = problem({ SPACEPAY_OAUTH_AUDIENCE: AUDIENCE });
    expect(b.variable).toBe("SPACEPAY_OAUTH_ISSUER");
  });

  it.each([
    ["SPACEPAY_OAUTH_ISSUER", "http://login.example.com", /must be an https URL/],
    ["SPACEPAY_OAUTH_ISSUER", "not a url", /is not a URL/],
    ["SPACEPAY_OAUTH_AUDIENCE", "https://mcp.example.com/mcp#frag", /query string or fragment/],
    ["SPACEPAY_OAUTH_AUDIENCE", "ftp://mcp.example.com/mcp", /must be an https URL/],
  ])("%s=%s is refused with the rule", (variable, value, rule) => {
    const env = { SPACEPAY_OAUTH_ISSUER: ISSUER, SPACEPAY_OAUTH_AUDIENCE: AUDIENCE, [variable]: value };
    const err = problem(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(rule);
    expect(err.message).toContain("Accepted:");
  });

  it("plain http is accepted on loopback, for a local issuer", () => {
    const c = load({
      SPACEPAY_OAUTH_ISSUER: "http://127.0.0.1:8080",
      SPACEPAY_OAUTH_AUDIENCE: "http://localhost:3000/mcp",
    });
    expect(c.oauth?.issuer).toBe("http://127.0.0.1:8080");
  });

  it("with SPACEPAY_MCP_HTTP_TOKEN too, startup stops: one way to authenticate callers", () => {
    const err = problem({
      SPACEPAY_OAUTH_ISSUER: ISSUER,
      SPACEPAY_OAUTH_AUDIENCE: AUDIENCE,
      SPACEPAY_MCP_HTTP_TOKEN: "shared-http-token-0123456789",
    });
    expect(err.variable).toBe("SPACEPAY_MCP_HTTP_TOKEN");
    expect(err.message).toMatch(/choose one way to authenticate HTTP callers/);
    expect(err.message).not.toContain("shared-http-token-0123456789");
  });

  it("OAuth allows binding beyond loopback without SPACEPAY_MCP_HTTP_TOKEN", () => {
    const c = load(
      { SPACEPAY_OAUTH_ISSUER: ISSUER, SPACEPAY_OAUTH_AUDIENCE: AUDIENCE },
      { http: true, host: "0.0.0.0" },
    );
    expect(c.host).toBe("0.0.0.0");
    expect(c.mcpHttpToken).toBeNull();
  });
});
