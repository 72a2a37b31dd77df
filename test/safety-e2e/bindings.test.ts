// A requestState opens only in its canonical encoding (issue 21): one extra or changed base64url
// character that the decoder would drop is refused as altered, and nothing is sent; the canonical
// state then confirms exactly one withdrawal (counted at the simulator).
import { expect, it } from "vitest";
import { useServedHarness } from "../helpers/http-harness.js";
import { rawHttp } from "../helpers/mcp2026.js";
import { withdrawal } from "./helpers.js";

const TOKEN = "bindings-test-token-0123456789abcdef";
const CAPS = { "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } } };
const ACCEPT = { action: "accept", content: { confirm: true } };

const { h, http } = useServedHarness(
  { env: { SPACEPAY_CONFIRM: "auto", SPACEPAY_MCP_HTTP: "true", SPACEPAY_MCP_HTTP_TOKEN: TOKEN } },
  { token: TOKEN },
);

const call = async (params: Record<string, unknown>) =>
  (await rawHttp(http.url, "tools/call", { ...params, _meta: CAPS }, { authorization: `Bearer ${TOKEN}` }))
    .body as Record<string, any>;

/** A different string whose base64url body decodes to the very same bytes (a non-canonical encoding). */
function nonCanonical(state: string): string {
  const [prefix, body] = [state.slice(0, 3), state.slice(3)];
  const bytes = Buffer.from(body, "base64url");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const candidates = [...alphabet].flatMap((c) => [body + c, body.slice(0, -1) + c]);
  const found = candidates.find((b) => b !== body && Buffer.from(b, "base64url").equals(bytes));
  expect(found, "a non-canonical encoding of the state exists").toBeDefined();
  return prefix + found!;
}

it("a non-canonical requestState is refused and sends nothing; the canonical one sends exactly one", async () => {
  const args = withdrawal();
  const asked = await call({ name: "create_withdrawal", arguments: args });
  expect(asked.result?.resultType, JSON.stringify(asked)).toBe("input_required");
  const state = asked.result.requestState as string;
  const before = h.sim.control.counts().withdrawals;

  const odd = nonCanonical(state);
  const refused = await call({
    name: "create_withdrawal",
    arguments: args,
    inputResponses: { confirm: ACCEPT },
    requestState: odd,
  });
  expect(refused.result?.isError, JSON.stringify(refused)).toBe(true);
  expect(refused.result.structuredContent).toMatchObject({ status: "refused", rule: "requestState" });
  expect(refused.result.structuredContent.message).toMatch(/altered or was not issued by this server/);
  expect(refused.result.structuredContent.message).toMatch(/Nothing was sent/);
  expect(h.sim.control.counts().withdrawals).toBe(before);

  const done = await call({
    name: "create_withdrawal",
    arguments: args,
    inputResponses: { confirm: ACCEPT },
    requestState: state,
  });
  expect(done.result?.structuredContent?.status, JSON.stringify(done)).toBe("done");
  expect(h.sim.control.counts().withdrawals).toBe(before + 1);
}, 30_000);
