// Configuration: flags over environment over defaults, blank values as unset, secret files, every
// validation message (variable, problem, accepted values), modes, cross-rules, and no secret leaks.
import { describe, expect, it } from "vitest";
import { SETTINGS, loadConfig, settingsHelp, type LoadConfigOptions } from "../src/config/index.js";
import { redact } from "../src/log.js";
import { configError } from "./helpers/config-error.js";

const KEY = "sk_test_config_merchant_key_123";
const LIVE_KEY = "sk_live_config_merchant_key_456";
const BEARER = "bearer.config.token.789";
const HTTP_TOKEN = "mcp-http-token-config-000";

const base: Pick<LoadConfigOptions, "platform" | "homedir"> = { platform: "linux", homedir: "/home/ada" };
const load = (env: Record<string, string | undefined> = {}, extra: Partial<LoadConfigOptions> = {}) =>
  loadConfig({ ...base, env, ...extra });

describe("defaults and modes", () => {
  it("no key and no URL: demo mode with every default", () => {
    const c = load();
    expect(c).toMatchObject({
      mode: "demo",
      secretKey: null,
      apiUrl: "https://api.spacepay.solutions",
      bearerToken: null,
      merchantId: null,
      timeoutMs: 15000,
      maxRetries: 2,
      stateDir: "/home/ada/.local/share/spacepay-mcp",
      confirm: "auto",
      confirmTimeoutMs: 120000,
      confirmTtlSeconds: 600,
      maxWithdrawalCents: 100000,
      dailyWithdrawalLimitCents: 500000,
      maxPaymentCents: 100000000,
      withdrawalAllowlist: [],
      allowLiveWithdrawals: false,
      readOnly: false,
      tools: null,
      excludeTools: [],
      logLevel: "info",
      mcpHttpToken: null,
      http: false,
      port: 3000,
      host: "127.0.0.1",
      withdrawalsEnabled: true,
      apiBudgetPerSecond: 10,
      maxWatchesPerCaller: 50,
      pollIntervalMs: 2000,
    });
    expect(c.sources.timeoutMs).toBe("default");
  });

  it("an sk_test_ key is test mode; any other key is live", () => {
    expect(load({ SPACEPAY_SECRET_KEY: KEY }).mode).toBe("test");
    expect(load({ SPACEPAY_SECRET_KEY: LIVE_KEY }).mode).toBe("live");
    expect(load({ SPACEPAY_SECRET_KEY: "sk_whatever_key_format" }).mode).toBe("live");
  });

  it("an API URL without a key is an error, not demo mode", () => {
    const err = configError(() => load({ SPACEPAY_API_URL: "https://api-testnet.spacepay.solutions" }));
    expect(err.message).toContain("SPACEPAY_API_URL");
    expect(err.message).toContain("an API URL without a key is an error, not demo mode");
    expect(err.message).toContain("SPACEPAY_SECRET_KEY");
  });

  it("an API URL given as a flag without a key is the same error", () => {
    const err = configError(() => load({}, { flags: { "api-url": "http://127.0.0.1:4010" } }));
    expect(err.message).toContain("--api-url (SPACEPAY_API_URL)");
  });
});

describe("precedence and blank values", () => {
  it("flags beat the environment, which beats the default", () => {
    const env = { SPACEPAY_TIMEOUT_MS: "5000", SPACEPAY_MAX_RETRIES: "4" };
    const c = load(env, { flags: { "timeout-ms": "7000" } });
    expect(c.timeoutMs).toBe(7000);
    expect(c.maxRetries).toBe(4);
    expect(c.port).toBe(3000);
    expect(c.sources).toMatchObject({ timeoutMs: "flag", maxRetries: "env", port: "default" });
  });

  it("a set poll interval wins over its default, from the environment or a flag", () => {
    expect(load({ SPACEPAY_POLL_INTERVAL_MS: "250" }).pollIntervalMs).toBe(250);
    expect(load({}, { flags: { "poll-interval-ms": "5000" } }).pollIntervalMs).toBe(5000);
  });

  it("flags may be booleans and numbers, as a CLI parser gives them", () => {
    const c = load({}, { flags: { http: true, port: 8080, "read-only": false } });
    expect(c).toMatchObject({ http: true, port: 8080, readOnly: false });
  });

  it("blank or whitespace-only values count as unset, in env and flags", () => {
    const c = load(
      { SPACEPAY_SECRET_KEY: "", SPACEPAY_API_URL: "   ", SPACEPAY_TIMEOUT_MS: "", SPACEPAY_TOOLS: " " },
      { flags: { "max-retries": "", port: "  " } },
    );
    expect(c).toMatchObject({ mode: "demo", timeoutMs: 15000, maxRetries: 2, port: 3000, tools: null });
  });

  it("a blank flag falls through to the environment", () => {
    expect(load({ SPACEPAY_MAX_RETRIES: "5" }, { flags: { "max-retries": "" } }).maxRetries).toBe(5);
  });

  it("values are trimmed", () => {
    const c = load({ SPACEPAY_SECRET_KEY: `  ${KEY}\n`, SPACEPAY_LOG_LEVEL: " DEBUG " });
    expect(c.secretKey).toBe(KEY);
    expect(c.logLevel).toBe("debug");
  });
});

describe("secrets", () => {
  it("SPACEPAY_SECRET_KEY_FILE reads and trims the file", () => {
    const files: Record<string, string> = { "/run/secrets/key": `${KEY}\n` };
    const c = load({ SPACEPAY_SECRET_KEY_FILE: "/run/secrets/key" }, { readFile: (f) => files[f]! });
    expect(c.secretKey).toBe(KEY);
    expect(c.mode).toBe("test");
    expect(c.sources.secretKey).toBe("file");
  });

  it("SPACEPAY_BEARER_TOKEN_FILE works the same way", () => {
    const c = load({ SPACEPAY_BEARER_TOKEN_FILE: "/b" }, { readFile: () => ` ${BEARER} ` });
    expect(c.bearerToken).toBe(BEARER);
  });

  it("a key and a key file both set is an error", () => {
    const err = configError(() =>
      load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_SECRET_KEY_FILE: "/k" }, { readFile: () => KEY }),
    );
    expect(err.message).toContain("SPACEPAY_SECRET_KEY and SPACEPAY_SECRET_KEY_FILE are both set");
    expect(err.message).toContain("Accepted: set only one of them");
    expect(err.message).not.toContain(KEY);
  });

  it("an unreadable or empty key file says which file and why", () => {
    const missing = configError(() =>
      load(
        { SPACEPAY_SECRET_KEY_FILE: "/nope" },
        {
          readFile: () => {
            throw Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
          },
        },
      ),
    );
    expect(missing.message).toMatch(/SPACEPAY_SECRET_KEY_FILE.*"\/nope".*ENOENT/);
    const empty = configError(() => load({ SPACEPAY_SECRET_KEY_FILE: "/empty" }, { readFile: () => "\n" }));
    expect(empty.message).toMatch(/SPACEPAY_SECRET_KEY_FILE.*"\/empty" is empty/);
  });

  it.each(["secret-key", "secret-key-file", "bearer-token", "mcp-http-token"])(
    "--%s is refused: secrets never come from argv",
    (flag) => {
      const err = configError(() => load({}, { flags: { [flag]: "sk_test_from_argv_value" } }));
      expect(err.message).toContain(`--${flag} is not accepted`);
      expect(err.message).not.toContain("sk_test_from_argv_value");
    },
  );

  it("a malformed secret is reported without its value", () => {
    const bad = "bearer.with space_inside_it";
    const err = configError(() => load({ SPACEPAY_BEARER_TOKEN: bad }));
    expect(err.message).toContain("Invalid SPACEPAY_BEARER_TOKEN: contains whitespace or control characters");
    expect(err.message).toContain("Accepted:");
    expect(err.message).not.toContain(bad);
    expect(err.message).not.toContain("space_inside");
  });

  it("every secret is registered for log redaction", () => {
    load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_BEARER_TOKEN: BEARER, SPACEPAY_MCP_HTTP_TOKEN: HTTP_TOKEN });
    expect(redact(`a ${KEY} b ${BEARER} c ${HTTP_TOKEN}`)).toBe("a [redacted] b [redacted] c [redacted]");
  });

  it("no secret appears in any error, even when every rule fails at once", () => {
    // Fresh values: the logger's registry is process-wide, so earlier tests must not mask these.
    const liveKey = `sk_live_fresh_${Date.now()}`;
    const httpToken = `http_fresh_${Date.now()}`;
    const env = {
      SPACEPAY_SECRET_KEY: liveKey,
      SPACEPAY_BEARER_TOKEN: BEARER,
      SPACEPAY_TIMEOUT_MS: liveKey, // a secret pasted into the wrong variable
      SPACEPAY_MAX_RETRIES: httpToken, // …including one whose setting comes later in the table
      SPACEPAY_MCP_HTTP_TOKEN: httpToken,
      SPACEPAY_CONFIRM: "off",
    };
    const err = configError(() => load(env, { flags: { host: "0.0.0.0" } }));
    expect(err.message).toContain('Invalid SPACEPAY_TIMEOUT_MS "[redacted]"');
    expect(err.message).not.toContain(liveKey);
    expect(err.message).not.toContain(BEARER);
    expect(err.message).not.toContain(httpToken);
    expect(JSON.stringify(err.issues)).not.toContain(liveKey);
  });
});

describe("validation messages name the variable, the problem and the accepted values", () => {
  it.each([
    ["SPACEPAY_TIMEOUT_MS", "abc", "is not a whole number", "an integer from 100 to 600000"],
    ["SPACEPAY_TIMEOUT_MS", "99", "is below the minimum 100", "an integer from 100 to 600000"],
    ["SPACEPAY_TIMEOUT_MS", "600001", "is above the maximum 600000", "an integer from 100 to 600000"],
    ["SPACEPAY_MAX_RETRIES", "11", "is above the maximum 10", "an integer from 0 to 10"],
    ["SPACEPAY_MAX_RETRIES", "1.5", "is not a whole number", "an integer from 0 to 10"],
    ["SPACEPAY_CONFIRM", "sometimes", "is not one of the accepted values", "auto, elicitation, token, off"],
    ["SPACEPAY_LOG_LEVEL", "verbose", "is not one of the accepted values", "debug, info, warn, error"],
    ["SPACEPAY_READ_ONLY", "maybe", "is not a boolean", "true, false, 1, 0, yes, no"],
    ["SPACEPAY_ALLOW_LIVE_WITHDRAWALS", "y", "is not a boolean", "true, false, 1, 0, yes, no"],
    ["SPACEPAY_MCP_PORT", "70000", "is above the maximum 65535", "an integer from 0 to 65535"],
    ["SPACEPAY_CONFIRM_TIMEOUT_MS", "10", "is below the minimum 1000", "an integer from 1000 to 3600000"],
    ["SPACEPAY_CONFIRM_TTL_SECONDS", "x", "is not a whole number", "an integer from 10 to 86400"],
    ["SPACEPAY_MAX_WITHDRAWAL_CENTS", "-1", "is below the minimum 0", "(cents)"],
    ["SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS", "1e6", "is not a whole number", "(cents)"],
    ["SPACEPAY_MAX_PAYMENT_CENTS", "100000001", "is above the maximum 100000000", "(cents)"],
    ["SPACEPAY_MERCHANT_ID", "a b", "is not a merchant id", "letters, digits"],
    ["SPACEPAY_MCP_HOST", "a b", "is not a host name or IP address", "127.0.0.1"],
    ["SPACEPAY_POLL_INTERVAL_MS", "249", "is below the minimum 250", "an integer from 250 to 600000"],
    ["SPACEPAY_API_BUDGET_PER_SECOND", "0", "is below the minimum 1", "an integer from 1 to 1000"],
    ["SPACEPAY_MAX_WATCHES_PER_CALLER", "0", "is below the minimum 1", "an integer from 1 to 10000"],
  ])("%s=%s", (variable, value, problem, accepted) => {
    const err = configError(() => load({ [variable]: value }));
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(`Invalid ${variable} "${value}": ${problem}`);
    expect(err.message).toContain(`Accepted: `);
    expect(err.message).toContain(accepted);
  });

  it("a flag value names the flag and its variable", () => {
    const err = configError(() => load({}, { flags: { port: "http" } }));
    expect(err.message).toContain('Invalid --port (SPACEPAY_MCP_PORT) "http": is not a whole number');
  });

  it("several problems are reported together", () => {
    const err = configError(() => load({ SPACEPAY_TIMEOUT_MS: "x", SPACEPAY_LOG_LEVEL: "loud" }));
    expect(err.issues.map((i) => i.variable)).toEqual(["SPACEPAY_TIMEOUT_MS", "SPACEPAY_LOG_LEVEL"]);
  });

  it("booleans accept true/false/1/0/yes/no in any case", () => {
    for (const [v, out] of [
      ["TRUE", true],
      ["1", true],
      ["Yes", true],
      ["false", false],
      ["0", false],
      ["NO", false],
    ] as const) {
      expect(load({ SPACEPAY_READ_ONLY: v }).readOnly).toBe(out);
    }
  });
});

describe("SPACEPAY_API_URL", () => {
  const withKey = (url: string) => load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_API_URL: url });

  it("strips trailing slashes and keeps a path prefix", () => {
    expect(withKey("https://api-testnet.spacepay.solutions/").apiUrl).toBe(
      "https://api-testnet.spacepay.solutions",
    );
    expect(withKey("http://127.0.0.1:4010/proxy//").apiUrl).toBe("http://127.0.0.1:4010/proxy");
  });

  it.each([
    ["https://api.spacepay.solutions/v1", "ends in /v1"],
    ["https://api.spacepay.solutions/v1/", "ends in /v1"],
    ["ftp://api.spacepay.solutions", "is not an http(s) URL"],
    ["api.spacepay.solutions", "is not a URL"],
    ["https://api.spacepay.solutions?x=1", "must not carry a query string"],
  ])("%s is refused: %s", (url, problem) => {
    const err = configError(() => withKey(url));
    expect(err.message).toContain(`Invalid SPACEPAY_API_URL "${url}": ${problem}`);
    expect(err.message).toContain("Accepted: an http(s) URL without /v1");
  });

  it("a URL with credentials is refused without echoing them", () => {
    const err = configError(() => withKey("https://user:hunter2secret@api.spacepay.solutions"));
    expect(err.message).toContain("must not carry a user name or password");
    expect(err.message).not.toContain("hunter2secret");
  });
});

describe("state dir", () => {
  it.each([
    ["linux", {}, "/home/ada/.local/share/spacepay-mcp"],
    ["linux", { XDG_DATA_HOME: "/data/xdg" }, "/data/xdg/spacepay-mcp"],
    ["linux", { XDG_DATA_HOME: "relative/ignored" }, "/home/ada/.local/share/spacepay-mcp"],
    ["darwin", {}, "/home/ada/Library/Application Support/spacepay-mcp"],
    [
      "win32",
      { APPDATA: "C:\\Users\\ada\\AppData\\Roaming" },
      "C:\\Users\\ada\\AppData\\Roaming\\spacepay-mcp",
    ],
  ] as const)("%s %o → %s", (platform, env, dir) => {
    expect(loadConfig({ env, platform, homedir: "/home/ada" }).stateDir).toBe(dir);
  });

  it("SPACEPAY_STATE_DIR and --state-dir override the default", () => {
    expect(load({ SPACEPAY_STATE_DIR: "/var/lib/sp" }).stateDir).toBe("/var/lib/sp");
    expect(load({ SPACEPAY_STATE_DIR: "/var/lib/sp" }, { flags: { "state-dir": "/tmp/x" } }).stateDir).toBe(
      "/tmp/x",
    );
  });
});

describe("withdrawal allow-list", () => {
  it("parses bare and chain-qualified addresses, lowercased and de-duplicated", () => {
    const a = "0x31adfE243828BB73e5186f77A66de459a4f568a8";
    const c = load({
      SPACEPAY_WITHDRAWAL_ALLOWLIST: ` ${a}, eip155:8453:${a} ,base-sepolia:${a},84532:${a.toLowerCase()},, `,
    });
    expect(c.withdrawalAllowlist).toEqual([
      { address: a.toLowerCase() },
      { chainId: "eip155:8453", address: a.toLowerCase() },
      { chainId: "eip155:84532", address: a.toLowerCase() },
    ]);
  });

  it.each([
    ["0x1234", "is not an EVM address"],
    ["eip155:8453:0xZZadfE243828bb73E5186f77A66de459a4f568A8", "is not an EVM address"],
    ["atlantis:0x31adfE243828BB73e5186f77A66de459a4f568a8", 'names an unknown chain "atlantis"'],
  ])("%s is refused", (value, problem) => {
    const err = configError(() => load({ SPACEPAY_WITHDRAWAL_ALLOWLIST: value }));
    expect(err.message).toContain("Invalid SPACEPAY_WITHDRAWAL_ALLOWLIST");
    expect(err.message).toContain(problem);
    expect(err.message).toContain("Accepted: comma-separated EVM addresses, optionally chain-qualified");
  });
});

describe("tool lists", () => {
  const knownTools = ["create_payment", "get_payment", "create_withdrawal"];

  it("parses comma lists", () => {
    const c = load(
      { SPACEPAY_TOOLS: "get_payment, create_payment", SPACEPAY_EXCLUDE_TOOLS: "create_withdrawal" },
      { knownTools },
    );
    expect(c.tools).toEqual(["get_payment", "create_payment"]);
    expect(c.excludeTools).toEqual(["create_withdrawal"]);
  });

  it("an unknown tool name fails with the list of valid names", () => {
    const err = configError(() => load({ SPACEPAY_EXCLUDE_TOOLS: "create_withdrawl" }, { knownTools }));
    expect(err.variable).toBe("SPACEPAY_EXCLUDE_TOOLS");
    expect(err.message).toContain('unknown tool "create_withdrawl"');
    expect(err.message).toContain("Accepted: create_payment, get_payment, create_withdrawal");
  });

  it("without knownTools any name is accepted", () => {
    expect(load({ SPACEPAY_TOOLS: "anything" }).tools).toEqual(["anything"]);
  });
});

describe("cross-rules", () => {
  const allow = "0x31adfE243828BB73e5186f77A66de459a4f568a8";

  it("SPACEPAY_CONFIRM=off with withdrawals enabled and no allow-list refuses to start, saying why", () => {
    const err = configError(() => load({ SPACEPAY_CONFIRM: "off" }));
    expect(err.variable).toBe("SPACEPAY_CONFIRM");
    expect(err.message).toContain("SPACEPAY_CONFIRM=off is refused");
    expect(err.message).toContain("SPACEPAY_WITHDRAWAL_ALLOWLIST");
    expect(err.message).toContain("SPACEPAY_READ_ONLY");
  });

  it.each([
    ["with an allow-list", { SPACEPAY_WITHDRAWAL_ALLOWLIST: allow }, true],
    ["read-only", { SPACEPAY_READ_ONLY: "true" }, false],
    ["create_withdrawal excluded", { SPACEPAY_EXCLUDE_TOOLS: "create_withdrawal" }, false],
    ["a tools list without create_withdrawal", { SPACEPAY_TOOLS: "create_payment" }, false],
    // Withdrawals are then approved by passkey only, whatever SPACEPAY_CONFIRM says.
    ["with passkey approval of withdrawals", { SPACEPAY_APPROVAL: "passkey" }, true],
  ])("SPACEPAY_CONFIRM=off is accepted %s", (_label, env, withdrawals) => {
    const c = load({ SPACEPAY_CONFIRM: "off", ...env });
    expect(c.confirm).toBe("off");
    expect(c.withdrawalsEnabled).toBe(withdrawals);
  });

  it("approvals default to the host, one approver, a free loopback port", () => {
    expect(load()).toMatchObject({ approval: "host", secondApproverAboveCents: null, approvalPort: 0 });
    const c = load({ SPACEPAY_SECOND_APPROVER_ABOVE_CENTS: "50000", SPACEPAY_APPROVAL_PORT: "8421" });
    expect(c).toMatchObject({ secondApproverAboveCents: 50000, approvalPort: 8421 });
    expect(configError(() => load({ SPACEPAY_APPROVAL: "yubikey" })).message).toContain("host, passkey");
    expect(configError(() => load({ SPACEPAY_APPROVAL_PORT: "70000" })).variable).toBe(
      "SPACEPAY_APPROVAL_PORT",
    );
  });

  it("SPACEPAY_APPROVAL=passkey over HTTP without SPACEPAY_PUBLIC_URL refuses to start, saying why", () => {
    const err = configError(() => load({ SPACEPAY_APPROVAL: "passkey" }, { flags: { http: true } }));
    expect(err.variable).toBe("SPACEPAY_APPROVAL");
    expect(err.message).toContain("needs SPACEPAY_PUBLIC_URL");
  });

  it("SPACEPAY_APPROVAL=passkey starts on stdio (loopback pages) and over HTTP with a public URL", () => {
    expect(load({ SPACEPAY_APPROVAL: "passkey" }).approval).toBe("passkey");
    const http = load(
      { SPACEPAY_APPROVAL: "passkey", SPACEPAY_PUBLIC_URL: "https://mcp.example.com" },
      { flags: { http: true } },
    );
    expect([http.approval, http.publicUrl]).toEqual(["passkey", "https://mcp.example.com"]);
  });

  it.each(["127.0.0.1", "localhost", "::1"])("--host %s needs no HTTP token", (host) => {
    expect(load({}, { flags: { http: true, host } }).host).toBe(host);
  });

  it("any other host requires SPACEPAY_MCP_HTTP_TOKEN", () => {
    const err = configError(() => load({}, { flags: { http: true, host: "0.0.0.0" } }));
    expect(err.message).toContain('--host (SPACEPAY_MCP_HOST) "0.0.0.0"');
    expect(err.message).toContain("requires SPACEPAY_MCP_HTTP_TOKEN");
    const ok = load({ SPACEPAY_MCP_HTTP_TOKEN: HTTP_TOKEN }, { flags: { http: true, host: "0.0.0.0" } });
    expect(ok.mcpHttpToken).toBe(HTTP_TOKEN);
  });
});

describe("the settings table", () => {
  it("secrets and the OpenTelemetry SDK's standard OTEL_* variables have no flag; everything else has a kebab-case flag", () => {
    for (const s of Object.values(SETTINGS)) {
      if (("secret" in s && s.secret) || s.env.startsWith("OTEL_")) expect(s.flag).toBeNull();
      else expect(s.flag).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it("help rows describe every setting with default and accepted values", () => {
    const rows = settingsHelp();
    expect(rows).toHaveLength(Object.keys(SETTINGS).length);
    expect(rows.find((r) => r.env === "SPACEPAY_SECRET_KEY")).toMatchObject({
      flag: null,
      fileEnv: "SPACEPAY_SECRET_KEY_FILE",
      secret: true,
    });
    expect(rows.find((r) => r.env === "SPACEPAY_MCP_PORT")).toMatchObject({
      flag: "--port",
      default: "3000",
    });
    for (const r of rows) expect(r.description.length).toBeGreaterThan(10);
  });

  // The accepted text is the schema's own, so what help promises is what loading takes.
  it("every boolean spelling help lists is accepted, and every integer's stated bounds hold", () => {
    for (const r of settingsHelp()) {
      const spellings = /^true, false(, [a-z0-9]+)+$/.test(r.accepted) ? r.accepted.split(", ") : [];
      spellings.forEach((word, i) => {
        const c = load({ [r.env]: word.toUpperCase() }) as unknown as Record<string, unknown>;
        const key = Object.entries(SETTINGS).find(([, s]) => s.env === r.env)![0];
        expect(c[key], `${r.env}=${word}`).toBe(i % 2 === 0);
      });
      const bounds = /^an integer from (\d+) to (\d+)/.exec(r.accepted);
      if (!bounds) continue;
      const [min, max] = [Number(bounds[1]), Number(bounds[2])];
      expect(() => load({ [r.env]: String(min) }), r.env).not.toThrow();
      expect(() => load({ [r.env]: String(max) }), r.env).not.toThrow();
      expect(configError(() => load({ [r.env]: String(max + 1) })).variable).toBe(r.env);
      if (min > 0) expect(configError(() => load({ [r.env]: String(min - 1) })).variable).toBe(r.env);
    }
  });
});

describe("SPACEPAY_DATABASE_URL", () => {
  const DB_PASSWORD = "db-password-config-321";
  const URL_ = `postgres://spacepay:${DB_PASSWORD}@db.internal:5432/spacepay`;
  const STATE_KEY = "11".repeat(32);

  it("selects PostgreSQL; the URL and its password alone are masked in logs", () => {
    const c = load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_DATABASE_URL: URL_, SPACEPAY_STATE_KEY: STATE_KEY });
    expect(c.databaseUrl).toBe(URL_);
    expect(redact(`x ${URL_} y ${DB_PASSWORD}`)).toBe("x [redacted] y [redacted]");
  });

  it("refuses a non-postgres URL without echoing it, and refuses demo mode on a shared database", () => {
    const bad = configError(() =>
      load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_DATABASE_URL: `mysql://u:${DB_PASSWORD}@h/db` }),
    );
    expect(bad.message).toContain("Invalid SPACEPAY_DATABASE_URL: is not a postgres:// URL");
    expect(bad.message).not.toContain(DB_PASSWORD);
    const demo = configError(() => load({ SPACEPAY_DATABASE_URL: URL_, SPACEPAY_STATE_KEY: STATE_KEY }));
    expect(demo.message).toMatch(/SPACEPAY_DATABASE_URL is set but SPACEPAY_SECRET_KEY is not/);
    expect(demo.message).not.toContain(DB_PASSWORD);
  });

  it("requires SPACEPAY_STATE_KEY: the key must not sit beside the shared data it seals", () => {
    const err = configError(() => load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_DATABASE_URL: URL_ }));
    expect(err.message).toMatch(/SPACEPAY_DATABASE_URL requires SPACEPAY_STATE_KEY/);
    expect(err.message).not.toContain(DB_PASSWORD);
  });

  it("is never accepted as a flag", () => {
    const err = configError(() => load({ SPACEPAY_SECRET_KEY: KEY }, { flags: { "database-url": URL_ } }));
    expect(err.message).toContain("--database-url is not accepted");
  });
});

describe("SPACEPAY_SECRET_KEY's format (first contact)", () => {
  it.each([
    [
      "the README's placeholder",
      "sk_test_…",
      /is a placeholder, not a key.*Settings → Developers → API Keys/,
    ],
    ["a placeholder typed with dots", "sk_test_...", /is a placeholder/],
    ["a word", "password1", /does not start with sk_test_ or sk_/],
    ["a publishable key", "pk_test_abc", /is a publishable key/],
    ["too short after sk_test_", "sk_test_abc", /is too short/],
    ["a character keys do not have", "sk_live_abc$defgh", /has characters a key does not have/],
  ])("refuses %s, naming the variable and never echoing the value", (_label, key, problem) => {
    const err = configError(() => load({ SPACEPAY_SECRET_KEY: key }));
    expect(err.variable).toBe("SPACEPAY_SECRET_KEY");
    expect(err.message).toMatch(/^Invalid SPACEPAY_SECRET_KEY: /);
    expect(err.message).toMatch(problem);
    expect(err.message).toContain("Accepted: sk_test_ (testnet) or sk_ (live) followed by at least 8");
    expect(err.message).not.toContain(key);
  });

  it("accepts sk_test_ or sk_ followed by at least 8 key characters, and picks the mode by prefix", () => {
    expect(load({ SPACEPAY_SECRET_KEY: "sk_test_abcd-_12" }).mode).toBe("test");
    expect(load({ SPACEPAY_SECRET_KEY: "sk_AbCd1234" }).mode).toBe("live");
  });

  it("warns when a test key is aimed at the live API or a live key at a testnet host", () => {
    expect(load({ SPACEPAY_SECRET_KEY: KEY }).warnings).toEqual([
      expect.stringMatching(
        /SPACEPAY_SECRET_KEY is a test key.*live API api\.spacepay\.solutions.*SPACEPAY_API_URL=https:\/\/api-testnet\.spacepay\.solutions/,
      ),
    ]);
    const live = load({
      SPACEPAY_SECRET_KEY: LIVE_KEY,
      SPACEPAY_API_URL: "https://api-testnet.spacepay.solutions",
    });
    expect(live.warnings).toEqual([expect.stringMatching(/is a live key.*testnet host api-testnet/)]);
    for (const warnings of [
      load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_API_URL: "https://api-testnet.spacepay.solutions" }).warnings,
      load({ SPACEPAY_SECRET_KEY: LIVE_KEY }).warnings,
      load({ SPACEPAY_SECRET_KEY: KEY, SPACEPAY_API_URL: "http://127.0.0.1:4010" }).warnings,
      load().warnings,
    ])
      expect(warnings).toEqual([]);
  });
});

describe("unknown flags", () => {
  it("are refused when the command line is the server's, listing the valid ones and the likely one", () => {
    const err = configError(() => load({}, { flags: { "read-onyl": true }, refuseUnknownFlags: true }));
    expect(err.variable).toBe("--read-onyl");
    expect(err.message).toContain("Unknown flag --read-onyl (did you mean --read-only?)");
    for (const s of Object.values(SETTINGS))
      if (s.flag) expect(err.message).toContain(`--${s.flag},`.slice(0, -1));
    expect(err.message).not.toContain("--secret-key");
  });

  it("a secret's would-be flag still gets its own explanation, not 'unknown'", () => {
    const err = configError(() => load({}, { flags: { "secret-key": "x" }, refuseUnknownFlags: true }));
    expect(err.message).toContain("--secret-key is not accepted");
    expect(err.message).not.toContain("Unknown flag");
  });

  it("known flags pass", () => {
    expect(load({}, { flags: { "read-only": true, port: "0" }, refuseUnknownFlags: true }).readOnly).toBe(
      true,
    );
  });
});

describe("the HTTP Host allow-list", () => {
  it("is the loopback names by default", () => {
    expect([...load().hostAllowList].sort()).toEqual(["127.0.0.1", "::1", "[::1]", "localhost"]);
  });

  it("adds the audience's host and SPACEPAY_MCP_ALLOWED_HOSTS (lower-cased, ports refused)", () => {
    const c = load({
      SPACEPAY_OAUTH_ISSUER: "https://id.example.com/",
      SPACEPAY_OAUTH_AUDIENCE: "https://MCP.example.com/mcp",
      SPACEPAY_MCP_ALLOWED_HOSTS: "Proxy.internal, 10.0.0.5",
    });
    expect(c.hostAllowList).toEqual(
      new Set(["127.0.0.1", "localhost", "::1", "[::1]", "mcp.example.com", "proxy.internal", "10.0.0.5"]),
    );
    expect(
      load({ SPACEPAY_PUBLIC_URL: "https://approve.example.com" }).hostAllowList.has("approve.example.com"),
    ).toBe(true);
    const err = configError(() => load({ SPACEPAY_MCP_ALLOWED_HOSTS: "mcp.example.com:443" }));
    expect(err.variable).toBe("SPACEPAY_MCP_ALLOWED_HOSTS");
    expect(err.message).toContain("is not a host name");
  });
});

describe("the approval pages' public URL", () => {
  it("is unset by default (stdio serves the pages on http://localhost)", () => {
    expect(load().publicUrl).toBeNull();
  });

  it("joins the Host names the DNS-rebinding check accepts", () => {
    expect(load({ SPACEPAY_PUBLIC_URL: "https://Approve.example.com" }).hostAllowList).toContain(
      "approve.example.com",
    );
  });

  it("is kept as its origin", () => {
    expect(load({}, { flags: { "public-url": "https://mcp.example.com/" } }).publicUrl).toBe(
      "https://mcp.example.com",
    );
  });

  it("is refused when it is not https, except on loopback", () => {
    const err = configError(() => load({ SPACEPAY_PUBLIC_URL: "http://mcp.example.com" }));
    expect(err.variable).toBe("SPACEPAY_PUBLIC_URL");
    expect(err.message).toContain("must be an https URL");
    expect(load({ SPACEPAY_PUBLIC_URL: "http://localhost:8080" }).publicUrl).toBe("http://localhost:8080");
  });

  it("is refused with a path: the pages are at /approvals/ beside /mcp", () => {
    const err = configError(() => load({ SPACEPAY_PUBLIC_URL: "https://mcp.example.com/spacepay" }));
    expect(err.message).toContain("must be an origin only");
  });
});

describe("OpenTelemetry and metrics", () => {
  it("is off with nothing set (so no OpenTelemetry module loads)", () => {
    expect(load().telemetry).toBeNull();
  });

  it("an OTLP endpoint turns on traces and metrics, in the protocol asked for; an exporter named none stays off", () => {
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).telemetry).toMatchObject({
      traces: true,
      otlpMetrics: true,
      prometheus: false,
      protocol: "http/protobuf",
      metricIntervalMs: 60_000,
    });
    expect(
      load({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_METRICS_EXPORTER: "none",
      }).telemetry,
    ).toMatchObject({ traces: true, otlpMetrics: false, protocol: "http/json" });
    expect(load({ OTEL_TRACES_EXPORTER: "otlp" }).telemetry).toMatchObject({
      traces: true,
      otlpMetrics: false,
    });
    expect(
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).telemetry,
    ).toBeNull();
  });

  it("refuses gRPC, naming the variable and the encodings offered", () => {
    const err = configError(() => load({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }));
    expect(err.message).toContain('Invalid OTEL_EXPORTER_OTLP_PROTOCOL "grpc"');
    expect(err.message).toContain("Accepted: http/protobuf, http/json");
  });

  it("SPACEPAY_METRICS=prometheus needs --http, and its token is a secret", () => {
    const err = configError(() => load({ SPACEPAY_METRICS: "prometheus" }));
    expect(err.issues[0]?.variable).toBe("SPACEPAY_METRICS");
    expect(err.message).toContain("add --http");
    const c = load({
      SPACEPAY_METRICS: "prometheus",
      SPACEPAY_MCP_HTTP: "true",
      SPACEPAY_METRICS_TOKEN: "metrics-scrape-token-42",
    });
    expect(c.telemetry).toMatchObject({ traces: false, otlpMetrics: false, prometheus: true });
    expect(redact("x metrics-scrape-token-42")).toBe("x [redacted]");
  });
});

describe("webhooks", () => {
  const NEW = "whsec_config_new_0001";
  const OLD = "whsec_config_old_0002";

  it("SPACEPAY_WEBHOOK_SECRET takes one secret, or two comma-separated during a rotation, each masked in logs", () => {
    expect(load({ SPACEPAY_WEBHOOK_SECRET: NEW, SPACEPAY_MCP_HTTP: "true" }).webhookSecret).toEqual([NEW]);
    const c = load(
      { SPACEPAY_WEBHOOK_SECRET_FILE: "/w", SPACEPAY_MCP_HTTP: "true" },
      { readFile: () => `${NEW}, ${OLD}\n` },
    );
    expect(c.webhookSecret).toEqual([NEW, OLD]);
    expect(c.webhookToleranceSeconds).toBe(300);
    // Each secret on its own is masked, not only the pair as written.
    expect(redact(`got ${OLD}`)).toBe("got [redacted]");
  });

  it.each([
    [`${NEW},${OLD},whsec_third_0003`, "names more than two secrets"],
    [`${NEW},short`, "shorter than 8 characters"],
    [`${NEW},`, "shorter than 8 characters"],
  ])("SPACEPAY_WEBHOOK_SECRET=%s is refused without echoing it", (value, problem) => {
    const err = configError(() => load({ SPACEPAY_WEBHOOK_SECRET: value }));
    expect(err.variable).toBe("SPACEPAY_WEBHOOK_SECRET");
    expect(err.message).toContain(problem);
    expect(err.message).toContain("two comma-separated (new,old) during a rotation");
    expect(err.message).not.toContain(NEW);
  });

  it("the poll interval defaults to 60 s where webhook events arrive (HTTP, or PostgreSQL), 2 s otherwise, and a set value wins", () => {
    expect(load({ SPACEPAY_WEBHOOK_SECRET: NEW, SPACEPAY_MCP_HTTP: "true" }).pollIntervalMs).toBe(60_000);
    expect(load({ SPACEPAY_MCP_HTTP: "true" }).pollIntervalMs).toBe(2_000);
    expect(
      load({ SPACEPAY_WEBHOOK_SECRET: NEW, SPACEPAY_MCP_HTTP: "true", SPACEPAY_POLL_INTERVAL_MS: "5000" })
        .pollIntervalMs,
    ).toBe(5_000);
    // Over stdio there is no endpoint: polling stays the way statuses arrive, and startup says so.
    const stdio = load({ SPACEPAY_WEBHOOK_SECRET: NEW });
    expect(stdio.pollIntervalMs).toBe(2_000);
    expect(stdio.warnings.join("\n")).toContain("served with --http only");
    expect(stdio.webhookEvents).toBe(false);
    // With PostgreSQL, events any instance receives reach a stdio instance too (LISTEN/NOTIFY).
    const shared = load({
      SPACEPAY_WEBHOOK_SECRET: NEW,
      SPACEPAY_SECRET_KEY: KEY,
      SPACEPAY_DATABASE_URL: "postgres://spacepay:pw-config-webhooks@db.internal/spacepay",
      SPACEPAY_STATE_KEY: "22".repeat(32),
    });
    expect(shared).toMatchObject({ webhookEvents: true, pollIntervalMs: 60_000 });
    expect(shared.warnings.join("\n")).not.toContain("webhook");
  });
});
