// Demo mode over HTTP shows webhooks working with nothing to set up: the in-process simulator sends its
// signed events to the server's own endpoint (a secret made for the run), and spacepay://account
// counts them as they arrive.
import { afterAll, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { demoEnv, requireBuild, startHttpServer, type HttpServer } from "../ecosystem/helpers.js";
import { AUTH, TOKEN, eventually, newPayment } from "./harness.js";

let stateDir: string;
let server: HttpServer;
let client: Client;

it.beforeAll(async ({ fileDir }) => {
  requireBuild();
  stateDir = fileDir;
  server = await startHttpServer(demoEnv(stateDir, { SPACEPAY_MCP_HTTP_TOKEN: TOKEN }));
  client = new Client({ name: "demo-webhooks", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: AUTH } }),
  );
}, 30_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

it("the demo's simulator sends its webhooks to the server, which verifies them", async () => {
  expect(server.stderr()).toMatch(
    /demo mode: the simulator sends its webhooks to http:\/\/\S+\/webhooks\/spacepay/,
  );
  const events = async () =>
    JSON.parse(
      ((await client.readResource({ uri: "spacepay://account" })).contents[0] as { text: string }).text,
    ).events as { configured: boolean; verified: number; rejected: number };
  expect(await events()).toMatchObject({ configured: true, verified: 0 });
  await newPayment(client, "demo-webhook");
  // payment.created, delivered once the payment exists.
  const seen = await eventually(events, (e) => e.verified >= 1, "the event verified");
  expect(seen).toMatchObject({ configured: true, verified: 1, rejected: 0 });
}, 30_000);
