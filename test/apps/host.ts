// A test host for the MCP Apps views: real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), a page running ext-apps' own AppBridge, and the view in a sandboxed srcdoc frame
// as real hosts embed it. The view's tools/call go through the bridge to a real MCP client.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { chromium, type Browser, type Frame, type Page } from "playwright-core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { UI_CAPABILITIES } from "../helpers/apps-client.js";
import { startHarness, type Harness, type HarnessOptions } from "../helpers/mcp-harness.js";

export const CHROMIUM = "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const NO_CHROMIUM = `browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`;

/** Screenshots go here (gitignored), one run's worth. */
export const SHOT_DIR = path.resolve(import.meta.dirname, "../../test-output/apps");

// The flags Chromium needs on a machine without network or GPU (docs: TEST-INFRA.md).
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// The host page's script: AppBridge without its own MCP client; tools/call goes to Node instead.
const HOST_SCRIPT = `
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
window.mountView = async (html, theme) => {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.cssText = "width:360px;height:900px;border:0;display:block";
  const bridge = new AppBridge(null, { name: "test-host", version: "1" }, { serverTools: {} }, {
    hostContext: { theme, displayMode: "inline", platform: "web", containerDimensions: { width: 360, maxHeight: 900 } },
  });
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onsizechange = ({ height }) => { if (height) frame.style.height = height + "px"; };
  const initialized = new Promise((resolve) => (bridge.oninitialized = resolve));
  document.body.append(frame);
  frame.srcdoc = html;
  await new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  await initialized;
  window.bridge = bridge;
};
`;

async function hostScript(): Promise<string> {
  const out = await build({
    stdin: { contents: HOST_SCRIPT, resolveDir: import.meta.dirname, loader: "js" },
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0]!.text;
}

export interface Host {
  page: Page;
  /** The view's frame. */
  view(): Frame;
  /** Every tools/call the view made through the host, in order. */
  calls: Array<{ name: string; arguments?: Record<string, unknown> }>;
  sendToolInput(args: Record<string, unknown>): Promise<void>;
  sendToolResult(result: CallToolResult): Promise<void>;
  setTheme(theme: "light" | "dark"): Promise<void>;
  screenshot(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** A harness (started with `opts`), Chromium, and a client on the harness that shows MCP Apps views. */
export async function startViewHost(
  opts: HarnessOptions = {},
): Promise<{ h: Harness; browser: Browser; ui: Client; close(): Promise<void> }> {
  const [h, browser] = await Promise.all([startHarness(opts), launch()]);
  const ui = await h.connect(UI_CAPABILITIES);
  const close = async () => {
    await browser.close();
    await h.close();
  };
  return { h, browser, ui, close };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 15_000 });
}

/** Mounts the page served at `uri` as a host would: read over MCP, then handed to the frame. */
export async function mountView(
  browser: Browser,
  client: Client,
  uri: string,
  theme: "light" | "dark" = "light",
): Promise<Host> {
  const page = await browser.newPage({ viewport: { width: 380, height: 900 } });
  page.setDefaultTimeout(10_000);
  const calls: Host["calls"] = [];
  await page.exposeFunction(
    "hostCallTool",
    async (params: { name: string; arguments?: Record<string, unknown> }) => {
      calls.push(params);
      return client.callTool(params);
    },
  );
  page.on("pageerror", (err) => console.error(`host page: ${err.message}`));
  // A virtual clock for the page and its frame, installed before any script runs: the test moves
  // time forward (page.clock.runFor) instead of waiting for the card's timers.
  await page.clock.install();
  await page.setContent(`<!doctype html><html><body style="margin:0"></body></html>`);
  // Added as a script element's text, not parsed inside HTML, so nothing in it can end the script early.
  await page.addScriptTag({ content: await hostScript() });
  const res = await client.readResource({ uri });
  const html = (res.contents[0] as { text: string }).text;
  await page.evaluate(([h, t]) => (globalThis as any).mountView(h, t), [html, theme] as const);
  const view = () => page.frames().find((f) => f !== page.mainFrame())!;
  mkdirSync(SHOT_DIR, { recursive: true });
  return {
    page,
    view,
    calls,
    sendToolInput: (args) =>
      page.evaluate((a) => (globalThis as any).bridge.sendToolInput({ arguments: a }), args),
    sendToolResult: (result) =>
      page.evaluate((r) => (globalThis as any).bridge.sendToolResult(r), result as any),
    async setTheme(theme) {
      await page.evaluate((t) => (globalThis as any).bridge.sendHostContextChange({ theme: t }), theme);
      await view().waitForFunction(
        (t) => (globalThis as any).document.documentElement.dataset.theme === t,
        theme,
      );
    },
    screenshot: (name) => page.locator("iframe").screenshot({ path: path.join(SHOT_DIR, `${name}.png`) }),
    close: () => page.close(),
  };
}

/** The QR code the view drew, as RGBA pixels for a decoder. */
export async function qrPixels(
  frame: Frame,
): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const img = await frame.locator("[data-testid=qr]").evaluate((c: any) => {
    const ctx = c.getContext("2d");
    const d = ctx.getImageData(0, 0, c.width, c.height);
    return { data: Array.from(d.data as ArrayLike<number>), width: c.width, height: c.height };
  });
  return { data: Uint8ClampedArray.from(img.data), width: img.width, height: img.height };
}
