// The enrollment and approval pages in real headless Chromium with a virtual authenticator: an
// approver enrolled through `spacepay-mcp approvers add` (the built CLI, SQLite) approves on the page;
// a stranger's passkey, a replayed assertion, the initiator's own passkey and a second vote by the
// same approver change nothing; Decline is final; and the pages cannot be framed or reach outside.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import type { Browser, Page } from "playwright-core";
import { approvalRoutes } from "../../src/approvals/routes.js";
import { relyingParty } from "../../src/approvals/passkeys.js";
import { serveLoopbackPages, type LoopbackPages } from "../../src/approvals/loopback.js";
import { openState, type StateStore } from "../../src/safety/index.js";
import type { NewApproval } from "../../src/safety/approvals.js";
import { HAVE_CHROMIUM, NO_CHROMIUM, launch } from "../apps/host.js";

import { person, press, type Person } from "./browser.js";
import { approversCli, enrollWithCli } from "./enroll.js";

if (!HAVE_CHROMIUM) console.warn(`skipping: ${NO_CHROMIUM}`);

const RECIPIENT = "0x1111111111111111111111111111111111111111";
let seq = 0;
const withdrawal = (over: Partial<NewApproval> = {}): NewApproval => ({
  identity: `identity-${++seq}`,
  tool: "create_withdrawal",
  caller: null,
  mode: "test",
  idempotencyKey: `key-${seq}`,
  summary: {
    action: "create_withdrawal",
    amountInCents: 2500,
    currency: "USD",
    chainId: "eip155:84532",
    recipientAddress: RECIPIENT,
    orderId: "PAYOUT-7",
  },
  needed: 1,
  now: new Date(),
  ttlMs: 600_000,
  ...over,
});

describe.skipIf(!HAVE_CHROMIUM)("passkey approval pages", () => {
  let browser: Browser;
  let dir: string;
  let env: Record<string, string>;
  let state: StateStore;
  let pages: LoopbackPages;
  let ada: Person;
  let bob: Person;
  const people: Person[] = [];
  /** Every POST to /approve the browser made, with its body, so a test can replay one. */
  const assertions: string[] = [];

  it.beforeAll(async ({ fileDir }) => {
    browser = await launch();
    dir = fileDir;
    // Demo mode (no key): the state lives in <dir>/demo, like a newcomer's first try.
    env = { PATH: process.env.PATH ?? "", SPACEPAY_STATE_DIR: dir, SPACEPAY_LOG_LEVEL: "warn" };
    ada = (await enrollWithCli(browser, env, "Ada")).who;
    bob = (await enrollWithCli(browser, env, "Bob", ["--subject", "sub-bob"])).who;
    people.push(ada, bob);
    state = await openState({ stateDir: path.join(dir, "demo") });
    let base = "";
    pages = await serveLoopbackPages(
      0,
      approvalRoutes({ state: async () => state, rp: () => relyingParty(base) }),
    );
    base = pages.baseUrl;
  }, 120_000);

  afterAll(async () => {
    for (const p of people) await p.close();
    await browser?.close();
    await pages?.close();
    await state?.close();
  });

  const open = async (who: Person, id: string, colorScheme?: "light" | "dark"): Promise<Page> => {
    const page = await who.open(`${pages.baseUrl}/approvals/${id}`, { colorScheme });
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/approve")) assertions.push(r.postData() ?? "");
    });
    return page;
  };

  it("approvers add prints the link alone on stdout, exits 0 once registered, and list shows both", async () => {
    const listed = await approversCli(["list"], env);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^NAME\s+SUBJECT\s+PASSKEYS\s+ADDED\s+LAST USED$/);
    expect(rows[1]).toMatch(/^Ada\s+-\s+1\s+\S+Z\s+never$/);
    expect(rows[2]).toMatch(/^Bob\s+sub-bob\s+1\s+/);
    const audit = fs.readFileSync(path.join(dir, "demo", "audit.jsonl"), "utf8");
    expect(audit).toContain('"tool":"approvers","args":{"action":"add","name":"Ada"');
    expect(audit).toContain('"action":"enrolled","name":"Bob","subject":"sub-bob"');
  });

  it("a link can be used once; a bad name is refused; an unknown link is 404", async () => {
    const run = await enrollWithCli(browser, env, "Cy");
    people.push(run.who);
    expect(run.run.code).toBe(0);
    expect(run.run.stdout.trim().split("\n")).toEqual([run.link]);
    expect(run.link).toMatch(/^http:\/\/localhost:\d+\/approvals\/enroll\/[\w-]{22}$/);
    const reused = await fetch(`${pages.baseUrl}${new URL(run.link).pathname}`);
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain("This enrollment link has been used.");
    expect((await approversCli(["add", "bad/name"], env)).code).toBe(2);
    const res = await fetch(`${pages.baseUrl}/approvals/enroll/nope`);
    expect(res.status).toBe(404);
    const removed = await approversCli(["remove", "Cy"], env);
    expect(removed.code).toBe(0);
    expect((await approversCli(["remove", "Cy"], env)).code).toBe(1);
    expect(fs.readFileSync(path.join(dir, "demo", "audit.jsonl"), "utf8")).toContain(
      '"args":{"action":"remove","name":"Cy"}',
    );
  });

  it("shows the withdrawal and approves it with a registered passkey", async () => {
    const approval = await state.approvals.open(withdrawal());
    const page = await open(ada, approval.id);
    const body = await page.locator("main").innerText();
    expect(body).toContain("Withdrawal waiting for approval");
    expect(body).toContain("$25.00 USD");
    expect(body).toContain("Base Sepolia");
    expect(body).toContain(RECIPIENT);
    expect(body).toContain("“PAYOUT-7”");
    expect(body).toContain("TEST");
    expect(body).toContain("0 of 1");
    expect(await press(page, "Approve")).toEqual({
      ok: true,
      text: "Approved by Ada. The agent completes the call.",
    });
    expect(await state.approvals.get(approval.id)).toMatchObject({ state: "approved", approvedBy: ["Ada"] });
    const roster = await state.approvals.listApprovers();
    expect(roster.find((a) => a.name === "Ada")?.lastUsedAt).not.toBeNull();
  });

  it("a browser without the registered passkey approves nothing", async () => {
    const approval = await state.approvals.open(withdrawal());
    const stranger = person(browser);
    people.push(stranger);
    const page = await open(stranger, approval.id);
    const result = await press(page, "Approve");
    expect(result.ok).toBe(false);
    expect(result.text).toContain("The passkey was not used");
    expect(await state.approvals.get(approval.id)).toMatchObject({ state: "pending", approvedBy: [] });
  });

  it("above the threshold: one approver, even twice, is not enough; a replayed assertion is refused; a second approver approves", async () => {
    const approval = await state.approvals.open(withdrawal({ needed: 2 }));
    const page = await open(ada, approval.id);
    const first = await press(page, "Approve");
    expect(first.text).toContain("Ada's approval is counted (1 of 2). 1 more approver must approve");
    const replay = await fetch(`${pages.baseUrl}/approvals/${approval.id}/approve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: assertions.at(-1),
    });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toContain("a replayed response is refused");
    const again = await open(ada, approval.id);
    expect((await press(again, "Approve")).text).toContain("(1 of 2)");
    expect(await state.approvals.get(approval.id)).toMatchObject({ state: "pending", approvedBy: ["Ada"] });
    const second = await open(bob, approval.id);
    expect(await second.locator("main").innerText()).toContain("1 of 2: Ada");
    expect((await press(second, "Approve")).text).toBe(
      "Approved by Ada and Bob. The agent completes the call.",
    );
    expect(await state.approvals.get(approval.id)).toMatchObject({
      state: "approved",
      approvedBy: ["Ada", "Bob"],
    });
    expect((await state.approvals.get(approval.id))?.failures).toBe(1);
  });

  it("the initiator's own passkey cannot approve their withdrawal (OAuth subject)", async () => {
    const approval = await state.approvals.open(withdrawal({ caller: "sub-bob" }));
    const page = await open(bob, approval.id);
    expect(await page.locator("main").innerText()).toContain("sub-bob");
    const result = await press(page, "Approve");
    expect(result).toEqual({
      ok: false,
      text: "Bob asked for this withdrawal (OAuth subject), and the initiator cannot approve it",
    });
    expect(await state.approvals.get(approval.id)).toMatchObject({ state: "pending", approvedBy: [] });
    expect((await press(await open(ada, approval.id), "Approve")).ok).toBe(true);
  });

  it("Decline needs no passkey and is final: Approve after it is refused", async () => {
    const approval = await state.approvals.open(withdrawal());
    const stranger = person(browser);
    people.push(stranger);
    const page = await open(stranger, approval.id);
    expect(await press(page, "Decline")).toEqual({
      ok: true,
      text: "Declined. Nothing was sent, and this is final.",
    });
    expect(await page.getByRole("button", { name: "Approve" }).isDisabled()).toBe(true);
    const later = await open(ada, approval.id);
    expect(await later.locator("#decided").innerText()).toBe(
      "Declined. Nothing was sent, and this is final.",
    );
    expect(await later.getByRole("button").count()).toBe(0);
    const options = await fetch(`${pages.baseUrl}/approvals/${approval.id}/options`, { method: "POST" });
    expect(options.status).toBe(409);
    expect((await state.approvals.get(approval.id))?.state).toBe("declined");
  });

  it("answers 404 for an unknown id, 410 for an expired one, 400 for malformed JSON; nothing changes", async () => {
    expect((await fetch(`${pages.baseUrl}/approvals/unknown-id`)).status).toBe(404);
    const old = await state.approvals.open(withdrawal({ now: new Date(Date.now() - 700_000) }));
    expect((await fetch(`${pages.baseUrl}/approvals/${old.id}`)).status).toBe(410);
    const live = await state.approvals.open(withdrawal());
    const bad = await fetch(`${pages.baseUrl}/approvals/${live.id}/approve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^the body is not JSON/);
    expect(await state.approvals.get(live.id)).toMatchObject({
      state: "pending",
      approvedBy: [],
      failures: 0,
    });
  });

  it("cannot be framed, loads nothing from outside, and carries no secret", async () => {
    const approval = await state.approvals.open(withdrawal());
    const res = await fetch(`${pages.baseUrl}/approvals/${approval.id}`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!localhost)/);
    expect(html).not.toContain(approval.idempotencyKey);
    // A page on another origin that frames it gets nothing rendered.
    const host = await browser.newPage();
    const blocked = new Promise<boolean>((resolve) =>
      host.on("console", (m) => /frame-ancestors|Refused to (display|frame)/.test(m.text()) && resolve(true)),
    );
    await host.setContent(`<iframe src="${pages.baseUrl}/approvals/${approval.id}"></iframe>`);
    expect(await blocked).toBe(true);
    await host.close();
  });
});
