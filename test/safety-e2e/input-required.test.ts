// Confirmation on 2026-07-28 through `input_required`: a v2 SDK client pinned to the revision (which
// answers through its elicitation handler) and a raw client writing the retries by hand, over stdio and
// over HTTP. Accept sends exactly one withdrawal; tamper, replay, changed arguments, expiry, decline and
// cancel send nothing (counted in the simulator). A 2025 client still gets elicitation/create.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client as Client2025 } from "@modelcontextprotocol/sdk/client/index.js";
import type { Client } from "@modelcontextprotocol/client";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { serveHarness } from "../helpers/http-harness.js";
import { RECIPIENT, startHarness, type Harness } from "../helpers/mcp-harness.js";
import {
  builtServerEnv,
  httpClient2026,
  rawHttp,
  rawStdio,
  stdioClient2026,
  type BuiltServerEnv,
} from "../helpers/mcp2026.js";
import { CAN_ELICIT, scriptElicitation, withdrawal } from "./helpers.js";
import { CLI, REPO, requireBuild } from "../helpers/built-cli.js";

const TOKEN = "input-required-test-token-0123456789";
const ELICIT = { elicitation: { form: {} } };
const CAPS_KEY = "io.modelcontextprotocol/clientCapabilities";
const SHORT_TIMEOUT_MS = 1000;

type Rpc = Record<string, any>;
type Answer = { action: "accept" | "decline" | "cancel"; content?: Record<string, boolean> };
const ACCEPT: Answer = { action: "accept", content: { confirm: true } };

let h: Harness;
let short: Harness;
let http: RunningHttp;
let shortHttp: RunningHttp;
const envs: BuiltServerEnv[] = [];

/** The built server's environment on a state directory of its own (deleted after the file). */
function stdioEnv(extra: Record<string, string> = {}): Record<string, string> {
  const built = builtServerEnv(h.sim.url, {
    SPACEPAY_CONFIRM: "auto",
    SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
    ...extra,
  });
  envs.push(built);
  return built.env;
}

beforeAll(async () => {
  requireBuild();
  const env = { SPACEPAY_CONFIRM: "auto", SPACEPAY_MCP_HTTP: "true", SPACEPAY_MCP_HTTP_TOKEN: TOKEN };
  h = await startHarness({ env });
  short = await startHarness({
    sharedSim: h.sim,
    env: { ...env, SPACEPAY_CONFIRM_TIMEOUT_MS: String(SHORT_TIMEOUT_MS) },
  });
  http = await serveHarness(h, { token: TOKEN });
  shortHttp = await serveHarness(short, { token: TOKEN });
});
afterAll(async () => {
  await http?.close();
  await shortHttp?.close();
  await short?.close();
  await h?.close();
  for (const e of envs) e.remove();
});

const withdrawals = () => h.sim.control.counts().withdrawals;
const requests = () => h.sim.control.counts().requests;

/** A raw 2026-07-28 client declaring elicitation: sends tools/call params, returns the JSON-RPC reply. */
interface RawClient {
  call(params: Record<string, unknown>): Promise<Rpc>;
  close(): void;
}

const transports: Array<{
  name: string;
  raw(shortTimeout?: boolean): RawClient;
  sdk(shortTimeout?: boolean): Promise<{ client: Client; close(): Promise<void> }>;
}> = [
  {
    name: "stdio",
    raw(shortTimeout) {
      const server = rawStdio(
        stdioEnv(shortTimeout ? { SPACEPAY_CONFIRM_TIMEOUT_MS: String(SHORT_TIMEOUT_MS) } : {}),
      );
      return { call: (params) => server.request("tools/call", params, ELICIT), close: server.close };
    },
    async sdk(shortTimeout) {
      const env = stdioEnv(shortTimeout ? { SPACEPAY_CONFIRM_TIMEOUT_MS: String(SHORT_TIMEOUT_MS) } : {});
      return stdioClient2026(env, ELICIT);
    },
  },
  {
    name: "HTTP",
    raw(shortTimeout) {
      const url = (shortTimeout ? shortHttp : http).url;
      return {
        call: async (params) => {
          const withCaps = { ...params, _meta: { [CAPS_KEY]: ELICIT } };
          return (await rawHttp(url, "tools/call", withCaps, { authorization: `Bearer ${TOKEN}` })).body;
        },
        close: () => {},
      };
    },
    async sdk(shortTimeout) {
      const url = (shortTimeout ? shortHttp : http).url;
      const client = await httpClient2026(url, { authorization: `Bearer ${TOKEN}` }, ELICIT);
      return { client, close: () => client.close() };
    },
  },
];

/** The first call: must be input_required with the confirmation prompt, and send nothing. */
async function ask(raw: RawClient, args: Record<string, unknown>): Promise<string> {
  const before = requests();
  const reply = await raw.call({ name: "create_withdrawal", arguments: args });
  expect(reply.result?.resultType, JSON.stringify(reply)).toBe("input_required");
  const prompt = reply.result.inputRequests.confirm;
  expect(prompt.method).toBe("elicitation/create");
  expect(prompt.params.message).toMatch(/^Please confirm: Withdraw \$50\.00 USD to 0x1{40}/);
  expect(prompt.params.requestedSchema.properties.confirm.type).toBe("boolean");
  expect(requests()).toBe(before);
  return reply.result.requestState as string;
}

function retry(raw: RawClient, args: Record<string, unknown>, requestState: string, answer = ACCEPT) {
  return raw.call({
    name: "create_withdrawal",
    arguments: args,
    inputResponses: { confirm: answer },
    requestState,
  });
}

/** Asserts the reply is the requestState refusal naming `reason`, and that nothing was sent meanwhile. */
function expectStateRefusal(reply: Rpc, reason: RegExp): void {
  const result = reply.result;
  expect(result?.isError, JSON.stringify(reply)).toBe(true);
  expect(result.structuredContent).toMatchObject({ status: "refused", rule: "requestState" });
  expect(result.structuredContent.message).toMatch(reason);
  expect(result.structuredContent.message).toMatch(/Nothing was sent/);
}

function flipByte(state: string): string {
  const i = Math.floor(state.length / 2);
  return state.slice(0, i) + (state[i] === "A" ? "B" : "A") + state.slice(i + 1);
}

describe.each(transports)("input_required over $name", (t) => {
  it("the v2 SDK client confirms a withdrawal through its elicitation handler: exactly one sent", async () => {
    const { client, close } = await t.sdk();
    try {
      const prompts: string[] = [];
      let answer: Answer = ACCEPT;
      client.setRequestHandler("elicitation/create", async (req) => {
        prompts.push((req.params as { message: string }).message);
        return answer;
      });
      const before = withdrawals();
      const done = await client.callTool({ name: "create_withdrawal", arguments: withdrawal() });
      expect(done.isError, JSON.stringify(done)).toBeFalsy();
      const structured = done.structuredContent as Record<string, any>;
      expect(structured.status).toBe("done");
      expect(structured.confirmation.by).toBe("input_required");
      expect(withdrawals()).toBe(before + 1);
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toMatch(/^Please confirm: Withdraw \$50\.00 USD to 0x1{40}/);

      for (const [action, status] of [
        ["decline", "declined"],
        ["cancel", "cancelled"],
      ] as const) {
        answer = { action };
        const sent = requests();
        const res = await client.callTool({ name: "create_withdrawal", arguments: withdrawal() });
        expect((res.structuredContent as { status: string }).status).toBe(status);
        expect(requests()).toBe(sent);
      }
    } finally {
      await close();
    }
  }, 30_000);

  it("a raw client: accept sends one; replay, tamper, changed arguments, decline and cancel send nothing", async () => {
    const raw = t.raw();
    try {
      const args = withdrawal();
      const state = await ask(raw, args);
      const before = withdrawals();
      const done = await retry(raw, args, state);
      expect(done.result.structuredContent.status, JSON.stringify(done)).toBe("done");
      expect(done.result.structuredContent.confirmation.by).toBe("input_required");
      expect(withdrawals()).toBe(before + 1);

      const sent = requests();
      // A replay of the accepted retry is the identical call, done: its answer again, nothing sent.
      const replay = await retry(raw, args, state);
      expect(replay.result.structuredContent).toMatchObject({ status: "done", replayed: true });

      const other = withdrawal();
      const otherState = await ask(raw, other);
      expectStateRefusal(await retry(raw, other, flipByte(otherState)), /altered/);
      expectStateRefusal(await retry(raw, { ...other, amountInCents: 6_000 }, otherState), /amountInCents/);

      for (const [action, status] of [
        ["decline", "declined"],
        ["cancel", "cancelled"],
      ] as const) {
        const args2 = withdrawal();
        const state2 = await ask(raw, args2);
        const res = await retry(raw, args2, state2, { action });
        expect(res.result.structuredContent.status).toBe(status);
        expect(res.result.isError).toBeFalsy();
        // The answered state is decided for good: it cannot be replayed as an accept.
        expectStateRefusal(await retry(raw, args2, state2), /already declined, and a decision is final/);
      }
      // An accept without the box ticked is no confirmation.
      const args3 = withdrawal();
      const unticked = await retry(raw, args3, await ask(raw, args3), {
        action: "accept",
        content: { confirm: false },
      });
      expect(unticked.result.structuredContent.status).toBe("declined");
      expect(requests()).toBe(sent);
    } finally {
      raw.close();
    }
  }, 30_000);

  it("refuses an expired requestState (SPACEPAY_CONFIRM_TIMEOUT_MS) and sends nothing", async () => {
    const raw = t.raw(true);
    try {
      const args = withdrawal();
      const state = await ask(raw, args);
      await new Promise((r) => setTimeout(r, SHORT_TIMEOUT_MS + 200));
      const sent = requests();
      expectStateRefusal(await retry(raw, args, state), /expired/);
      expect(requests()).toBe(sent);
    } finally {
      raw.close();
    }
  }, 30_000);
});

describe("a 2026-07-28 client without elicitation, and a 2025 client", () => {
  it("a 2026 client that does not declare elicitation gets the token round trip", async () => {
    const reply = await rawHttp(
      http.url,
      "tools/call",
      { name: "create_withdrawal", arguments: withdrawal() },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(reply.body.result.resultType).toBe("complete");
    expect(reply.body.result.structuredContent.status).toBe("confirmation_required");
    expect(typeof reply.body.result.structuredContent.confirmationToken).toBe("string");
  });

  it("a 2025 (v1 SDK) client over stdio still gets elicitation/create", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      cwd: REPO,
      env: { PATH: process.env.PATH ?? "", ...stdioEnv() },
      stderr: "pipe",
    });
    const client = new Client2025({ name: "sdk-2025", version: "1" }, { capabilities: CAN_ELICIT });
    const script = scriptElicitation(client, () => ({ action: "accept", content: { confirm: true } }));
    await client.connect(transport);
    try {
      const before = withdrawals();
      const done = (await client.callTool({ name: "create_withdrawal", arguments: withdrawal() })) as {
        structuredContent: Record<string, any>;
      };
      expect(done.structuredContent.confirmation.by).toBe("elicitation");
      expect(script.prompts).toHaveLength(1);
      expect(withdrawals()).toBe(before + 1);
    } finally {
      await client.close();
    }
  }, 30_000);
});
