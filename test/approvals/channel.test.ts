// Passkey approvals end to end (SPACEPAY_APPROVAL=passkey): the built server on stdio with its loopback
// pages, an approver enrolled through `spacepay-mcp approvers add`, real headless Chromium with a
// virtual authenticator, and SDK v1 clients. Withdrawals are counted at the simulator: the link alone
// sends nothing, Approve then an identical repeat sends one, later repeats replay it; a token never
// approves; Decline is final; a URL-mode elicitation client completes in the same call.
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { DEFAULT_SECRET_KEY, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, launch } from "../apps/host.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";
import { stdioClient2026 } from "../helpers/mcp2026.js";
import { RECIPIENT } from "../helpers/mcp-harness.js";

import { press, type Person } from "./browser.js";
import { enrollWithCli } from "./enroll.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

const BASE_SEPOLIA = "eip155:84532";

interface Structured {
  status: string;
  approvalUrl?: string;
  approvalsNeeded?: number;
  approvedBy?: string[];
  replayed?: boolean;
  rule?: string;
  message: string;
}

describe.skipIf(!HAVE_CHROMIUM)("withdrawals approved by passkey (stdio, loopback pages)", () => {
  let browser: Browser;
  let sim: SimulatorHandle;
  let dir: string;
  let env: Record<string, string>;
  let ada: Person;
  let bob: Person;
  const clients: Client[] = [];
  let seq = 0;

  it.beforeAll(async ({ fileDir }) => {
    requireBuild();
    [browser, sim] = await Promise.all([launch(), startSimulator({ processingMs: 20 })]);
    dir = fileDir;
    env = {
      PATH: process.env.PATH ?? "",
      SPACEPAY_SECRET_KEY: DEFAULT_SECRET_KEY,
      SPACEPAY_API_URL: sim.url,
      SPACEPAY_STATE_DIR: dir,
      SPACEPAY_APPROVAL: "passkey",
      SPACEPAY_SECOND_APPROVER_ABOVE_CENTS: "10000",
      SPACEPAY_WITHDRAWAL_ALLOWLIST: RECIPIENT,
      SPACEPAY_LOG_LEVEL: "warn",
    };
    ada = (await enrollWithCli(browser, env, "Ada")).who;
    bob = (await enrollWithCli(browser, env, "Bob")).who;
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const p of [ada, bob]) await p?.close();
    await browser?.close();
    await sim?.close();
  });

  /** An SDK v1 client on the built server over stdio; `urlElicitation` declares URL mode. */
  async function connect(onUrl?: (url: string) => Promise<void>): Promise<Client> {
    const client = new Client(
      { name: "passkey-test", version: "1" },
      { capabilities: onUrl ? { elicitation: { url: {} } } : {} },
    );
    if (onUrl)
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        const params = req.params as { mode?: string; url?: string };
        expect(params.mode).toBe("url");
        // The person opens the page and approves while the call waits.
        void onUrl(params.url!);
        return { action: "accept" };
      });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: "pipe" }),
    );
    clients.push(client);
    return client;
  }

  const args = (over: Record<string, unknown> = {}) => ({
    amountInCents: 5_000,
    chainId: BASE_SEPOLIA,
    recipientAddress: RECIPIENT,
    orderId: `passkey-${process.pid}-${++seq}`,
    ...over,
  });
  const withdraw = async (client: Client, a: Record<string, unknown>) =>
    (await client.callTool({ name: "create_withdrawal", arguments: a }, undefined, { timeout: 60_000 }))
      .structuredContent as unknown as Structured;
  const withdrawals = () => sim.control.counts().withdrawals;
  const audit = () =>
    fs
      .readFileSync(path.join(dir, "audit.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("the link alone sends nothing; Approve then the identical repeat sends one; later repeats replay it", async () => {
    const client = await connect();
    const a = args();
    const before = withdrawals();
    const asked = await withdraw(client, a);
    expect(asked).toMatchObject({ status: "approval_required", approvalsNeeded: 1, approvedBy: [] });
    expect(asked.approvalUrl).toMatch(/^http:\/\/localhost:\d+\/approvals\/[\w-]{22}$/);
    expect(asked.message).toContain(asked.approvalUrl!);
    // An identical repeat is the same approval, not a second one.
    expect((await withdraw(client, a)).approvalUrl).toBe(asked.approvalUrl);
    expect(withdrawals()).toBe(before);

    const page = await ada.open(asked.approvalUrl!);
    expect(await page.locator("main").innerText()).toContain("$50.00 USD");
    expect(await press(page, "Approve")).toEqual({
      ok: true,
      text: "Approved by Ada. The agent completes the call.",
    });
    expect(withdrawals()).toBe(before);

    const done = await withdraw(client, a);
    expect(done.status).toBe("done");
    expect(withdrawals()).toBe(before + 1);
    const again = await withdraw(client, a);
    expect(again).toMatchObject({ status: "done", replayed: true });
    expect(withdrawals()).toBe(before + 1);

    const lines = audit().filter((e) => JSON.stringify(e.args).includes(String(a.orderId)));
    expect(lines.find((e) => e.event === "intent")).toMatchObject({
      confirmation: "passkey",
      approvers: ["Ada"],
    });
    expect(lines.find((e) => e.outcome === "done")).toMatchObject({
      confirmation: "passkey",
      approvers: ["Ada"],
    });
    // The approval id (in the link) never reaches the audit trail.
    expect(JSON.stringify(lines)).not.toContain(new URL(asked.approvalUrl!).pathname.split("/").pop()!);
  }, 60_000);

  it("a confirmationToken never approves a withdrawal, and a page decision cannot be undone", async () => {
    const client = await connect();
    const before = withdrawals();
    const tokened = await withdraw(client, { ...args(), confirmationToken: "ct_anything" });
    expect(tokened).toMatchObject({ status: "refused", rule: "SPACEPAY_APPROVAL" });
    expect(tokened.message).toContain("SPACEPAY_APPROVAL=passkey");

    const a = args();
    const asked = await withdraw(client, a);
    const page = await bob.open(asked.approvalUrl!);
    expect((await press(page, "Decline")).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect((await withdraw(client, a)).status).toBe("declined");
    // Approve after a Decline is refused on the page too.
    const late = await ada.open(asked.approvalUrl!);
    expect(await late.locator("main").innerText()).toContain(
      "Declined. Nothing was sent, and this is final.",
    );
    expect(await late.getByRole("button", { name: "Approve" }).count()).toBe(0);
    expect(withdrawals()).toBe(before);
    expect(audit().some((e) => e.outcome === "declined" && e.confirmation === "passkey")).toBe(true);
  }, 60_000);

  it("above the threshold one approver is not enough; a second one approves", async () => {
    const client = await connect();
    const a = args({ amountInCents: 15_000 });
    const before = withdrawals();
    const asked = await withdraw(client, a);
    expect(asked).toMatchObject({ status: "approval_required", approvalsNeeded: 2 });
    expect((await press(await ada.open(asked.approvalUrl!), "Approve")).ok).toBe(true);
    const half = await withdraw(client, a);
    expect(half).toMatchObject({ status: "approval_required", approvedBy: ["Ada"] });
    expect(withdrawals()).toBe(before);
    expect((await press(await bob.open(asked.approvalUrl!), "Approve")).ok).toBe(true);
    expect((await withdraw(client, a)).status).toBe("done");
    expect(withdrawals()).toBe(before + 1);
  }, 60_000);

  it("a client with URL-mode elicitation is asked to open the page, and the same call completes", async () => {
    const client = await connect(async (url) => {
      const page = await ada.open(url);
      await press(page, "Approve");
    });
    const before = withdrawals();
    const a = args();
    const done = await withdraw(client, a);
    expect(done.status).toBe("done");
    expect(withdrawals()).toBe(before + 1);
    const sent = audit().find(
      (e) => e.event === "intent" && JSON.stringify(e.args).includes(String(a.orderId)),
    );
    expect(sent).toMatchObject({ confirmation: "passkey", approvers: ["Ada"] });
  }, 60_000);

  it("a 2026-07-28 client (SDK v2) gets an input_required URL request, and its retry completes", async () => {
    const { client, close } = await stdioClient2026(env, { elicitation: { url: {} } });
    try {
      const urls: string[] = [];
      client.setRequestHandler("elicitation/create", async (req) => {
        const params = req.params as { mode?: string; url?: string };
        expect(params.mode).toBe("url");
        urls.push(params.url!);
        // The person approves on the page; the client's retry then finds it approved.
        await press(await ada.open(params.url!), "Approve");
        return { action: "accept" };
      });
      const before = withdrawals();
      const res = await client.callTool(
        { name: "create_withdrawal", arguments: args() },
        { timeout: 60_000 },
      );
      expect((res.structuredContent as unknown as Structured).status).toBe("done");
      expect(urls).toHaveLength(1);
      expect(urls[0]).toMatch(/^http:\/\/localhost:\d+\/approvals\//);
      expect(withdrawals()).toBe(before + 1);
    } finally {
      await close();
    }
  }, 60_000);
});
