// People with passkeys, for the approval tests: a headless Chromium page whose Chrome DevTools
// Protocol virtual authenticator (ctap2, internal, resident key, user verification) plays the
// person's phone or laptop. A person's passkeys move to each new page they open.
import type { Browser, CDPSession, Page } from "playwright-core";

export type Credential = Record<string, unknown>;

export interface Person {
  /** Opens `url` in a fresh page whose authenticator holds this person's passkeys. */
  open(url: string, opts?: { colorScheme?: "light" | "dark" }): Promise<Page>;
  /** The passkeys this person holds (after a page registered one, read from its authenticator). */
  readonly credentials: Credential[];
  close(): Promise<void>;
}

interface Authenticated {
  cdp: CDPSession;
  authenticatorId: string;
}

const authenticators = new WeakMap<Page, Authenticated>();

export function person(browser: Browser): Person {
  const credentials: Credential[] = [];
  const pages: Page[] = [];
  return {
    credentials,
    async open(url, opts = {}) {
      // A real device keeps its signature counter: carry the last page's passkeys, counters included.
      const last = pages.at(-1);
      if (last && !last.isClosed()) await keepCredentials(last, this);
      const context = await browser.newContext({
        viewport: { width: 520, height: 720 },
        colorScheme: opts.colorScheme,
      });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const cdp = await context.newCDPSession(page);
      await cdp.send("WebAuthn.enable");
      const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2",
          transport: "internal",
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        },
      });
      for (const credential of credentials)
        await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: credential as never });
      authenticators.set(page, { cdp, authenticatorId });
      pages.push(page);
      await page.goto(url);
      return page;
    },
    async close() {
      for (const page of pages)
        await page
          .context()
          .close()
          .catch(() => {});
    },
  };
}

/** Reads the passkeys the page's authenticator now holds into `who` (after a registration). */
export async function keepCredentials(page: Page, who: Person): Promise<void> {
  const auth = authenticators.get(page)!;
  const { credentials } = await auth.cdp.send("WebAuthn.getCredentials", {
    authenticatorId: auth.authenticatorId,
  });
  who.credentials.splice(0, who.credentials.length, ...(credentials as unknown as Credential[]));
}

/** Presses a button and waits for the page's status line to settle on a result. */
export async function press(page: Page, button: string): Promise<{ text: string; ok: boolean }> {
  await page.getByRole("button", { name: button }).click();
  const status = page.locator("#status");
  await page.waitForFunction(() => {
    const el = (globalThis as any).document.getElementById("status");
    return el && (el.className === "ok" || el.className === "error");
  });
  return { text: (await status.textContent()) ?? "", ok: (await status.getAttribute("class")) === "ok" };
}
