// What an operator reads on stderr: every line stamped with the time, JSON lines that parse one by
// one with SPACEPAY_LOG_FORMAT=json, and at info a line for each money call's outcome, each refusal
// and each 401/403, none holding a secret.
import path from "node:path";
import { afterAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI, demoEnv, requireBuild, run, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";

const TOKEN = "ops-logs-test-bearer-0123456789";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "ops-logs-test", version: "1" });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Waits until stderr holds a line matching `pattern` (the server logs after it answers). */
async function lineMatching(server: HttpServer, pattern: RegExp, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pattern.test(server.stderr())) {
    if (Date.now() > end) throw new Error(`no line matching ${pattern} on stderr:\n${server.stderr()}`);
    await new Promise((resolve) => server.child.stderr!.once("data", resolve));
  }
}

function lines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l !== "");
}

describe.each(["text", "json"] as const)("the built server's stderr, SPACEPAY_LOG_FORMAT=%s", (format) => {
  let dir: string;
  let server: HttpServer;
  it.beforeAll(async ({ fileDir }) => {
    requireBuild();
    // Each format's server on a state directory of its own.
    dir = path.join(fileDir, format);
    server = await startHttpServer(
      demoEnv(dir, {
        SPACEPAY_LOG_FORMAT: format,
        SPACEPAY_MCP_HTTP_TOKEN: TOKEN,
        // No prompt in the way: the call is sent, so its outcome is "done".
        SPACEPAY_CONFIRM: "off",
        SPACEPAY_EXCLUDE_TOOLS: "create_withdrawal",
        SPACEPAY_MAX_PAYMENT_CENTS: "10000",
      }),
    );
    // A 401 (no bearer), a refusal (over the payment cap) and a payment made.
    await expect(connect(server.url)).rejects.toThrow();
    const client = await connect(server.url, TOKEN);
    const over = await client.callTool({
      name: "create_payment",
      arguments: { amountInCents: 20_000, orderId: "ops-logs-over" },
    });
    expect(over.isError).toBe(true);
    const made = await client.callTool({
      name: "create_payment",
      arguments: { amountInCents: 2_500, orderId: "ops-logs-made" },
    });
    expect(made.isError, JSON.stringify(made.content)).toBeFalsy();
    await client.close();
    await lineMatching(server, /money call done/);
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("stamps every line with an ISO time", () => {
    const all = lines(server.stderr());
    expect(all.length).toBeGreaterThan(4);
    for (const line of all) {
      const time = format === "json" ? (JSON.parse(line) as { time: string }).time : line.split(" ")[0];
      expect(time, line).toMatch(ISO);
    }
  });

  it("records the 401, the refusal with its rule and the payment's outcome at info, and no secret", () => {
    const all = lines(server.stderr());
    const find = (needle: string) => all.find((l) => l.includes(needle));
    const denied = find("HTTP 401");
    const refused = find("money call refused");
    const done = find("money call done");
    expect(denied).toBeDefined();
    expect(refused).toBeDefined();
    expect(done).toBeDefined();
    expect(server.stderr()).not.toContain(TOKEN);
    if (format === "json") {
      const entries = all.map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const e of entries) expect(Object.keys(e).slice(0, 3)).toEqual(["time", "level", "msg"]);
      expect(JSON.parse(denied!)).toMatchObject({ level: "info", status: 401, caller: null });
      expect(JSON.parse(refused!)).toMatchObject({
        level: "info",
        tool: "create_payment",
        amountInCents: 20_000,
        status: "refused",
        rule: "SPACEPAY_MAX_PAYMENT_CENTS",
        channel: null,
      });
      expect(JSON.parse(done!)).toMatchObject({
        level: "info",
        tool: "create_payment",
        amountInCents: 2_500,
        status: "done",
        channel: "off",
      });
    } else {
      expect(denied).toMatch(/ info: HTTP 401: Unauthorized/);
      expect(refused).toContain('"rule":"SPACEPAY_MAX_PAYMENT_CENTS"');
      expect(done).toContain('"channel":"off"');
    }
  });
});

// The configuration (and so its format) is not known when its own problem is logged: the raw flag or
// variable decides, so a log pipeline parsing JSON still gets the one line that says why the start failed.
describe.each([
  ["SPACEPAY_LOG_FORMAT=json", [], { SPACEPAY_LOG_FORMAT: "json" }],
  ["--log-format json", ["--log-format", "json"], {}],
  [
    "--log-format json over SPACEPAY_LOG_FORMAT=text, over HTTP",
    ["--http", "--log-format", "json"],
    { SPACEPAY_LOG_FORMAT: "text" },
  ],
] as const)("a configuration problem with %s", (_name, args, extra) => {
  it("is one JSON object per line naming the setting, and the start exits 2", async ({ stateDir: dir }) => {
    requireBuild();
    const result = await run(process.execPath, [CLI, ...args], {
      env: demoEnv(dir, { ...extra, SPACEPAY_MAX_PAYMENT_CENTS: "lots" }),
      timeoutMs: 15_000,
    });
    expect(result.code, result.stderr).toBe(2);
    const entries = lines(result.stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ time: expect.stringMatching(ISO), level: "error" });
    expect(entries[0]!.msg).toMatch(/^configuration problem, not starting:\n.*SPACEPAY_MAX_PAYMENT_CENTS/s);
  });

  it("so is the command line's own refusal of an unexpected argument, wherever the format flag stands", async ({
    stateDir: dir,
  }) => {
    requireBuild();
    // The argument comes first: the format flag after it still counts.
    const result = await run(process.execPath, [CLI, "bogus", ...args], {
      env: demoEnv(dir, extra),
      timeoutMs: 15_000,
    });
    expect(result.code, result.stderr).toBe(2);
    const entries = lines(result.stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ time: expect.stringMatching(ISO), level: "error" });
    expect(entries[0]!.msg).toMatch(/unexpected argument "bogus"; see --help/);
  });
});
