// What both cards draw with: elements built from text only (untrusted strings never become markup),
// the host's theme, copy buttons, expiry countdowns, and reading a tool result.
import { chainName } from "../../src/spacepay/chains.js";
import type { HostContext, ToolResult } from "./bridge.js";

type Child = Node | string | null | undefined | false;

/** An element with attributes and children; strings become text nodes, never HTML. */
export function h(
  tag: string,
  attrs: Record<string, string | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") el.addEventListener(k, v);
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

/** Follows the host: its theme (light or dark) and, when it sends them, its style variables. */
export function applyHostContext(ctx: HostContext): void {
  const root = document.documentElement;
  if (ctx.theme === "light" || ctx.theme === "dark") root.dataset.theme = ctx.theme;
  for (const [name, value] of Object.entries(ctx.styles?.variables ?? {})) {
    if (typeof value === "string" && name.startsWith("--")) root.style.setProperty(name, value);
  }
}

/** "Base (eip155:8453)" when the chain is known, else the CAIP-2 id. */
export function chainLabel(chainId: string | null | undefined): string {
  if (!chainId) return "unknown chain";
  const name = chainName(chainId);
  return name === chainId ? chainId : `${name} (${chainId})`;
}

/** A label and a value shown as data, with an optional copy button. */
export function field(label: string, value: string, opts: { copy?: boolean; testid?: string } = {}) {
  const val = h("code", opts.testid ? { "data-testid": opts.testid } : {}, value);
  return h(
    "div",
    { class: "field" },
    h("span", { class: "label" }, label),
    h("span", { class: "value" }, val, opts.copy ? copyButton(value, label) : null),
  );
}

function copyButton(value: string, label: string): HTMLElement {
  const button = h("button", { class: "copy", type: "button", "aria-label": `Copy ${label}` }, "Copy");
  button.addEventListener("click", () => {
    void copy(value).then((ok) => {
      button.textContent = ok ? "Copied" : "Select";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
  });
  return button;
}

// The Clipboard API needs a permission sandboxed frames often lack; the selection fallback works there.
async function copy(value: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    const area = h("textarea", {}, value) as HTMLTextAreaElement;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

/** "expires in 14:05", ticking every second, "expired" once past. */
export function countdown(expiresAt: string): HTMLElement {
  const el = h("span", { class: "countdown", "data-testid": "countdown" });
  const end = Date.parse(expiresAt);
  const tick = () => {
    const left = Math.max(0, Math.floor((end - Date.now()) / 1000));
    if (!Number.isFinite(end)) el.textContent = "";
    else if (left === 0) el.textContent = "expired";
    else {
      const m = Math.floor(left / 60);
      const s = String(left % 60).padStart(2, "0");
      el.textContent = m >= 60 ? `expires in ${Math.floor(m / 60)} h ${m % 60} min` : `expires in ${m}:${s}`;
    }
    if (left === 0 || !el.isConnected) clearInterval(timer);
  };
  const timer = setInterval(tick, 1000);
  tick();
  return el;
}

/** The structured content of a result, or null for an error or a result without it. */
export function structured(result: ToolResult): Record<string, unknown> | null {
  if (result.isError) return null;
  const s = result.structuredContent;
  return s && typeof s === "object" ? (s as Record<string, unknown>) : null;
}

/** The text a tool answered (errors and refusals carry their reason there). */
export function resultText(result: ToolResult): string {
  return result.content
    .map((c) => (c.type === "text" ? c.text : ""))
    .filter(Boolean)
    .join("\n");
}

/** A mode badge: demo and test say no real money is involved; live says it is. */
export function modeBadge(mode: unknown): HTMLElement | null {
  if (mode !== "demo" && mode !== "test" && mode !== "live") return null;
  const text = { demo: "Demo: simulated", test: "Test: no real money", live: "Live: real money" }[mode];
  return h("span", { class: `badge mode-${mode}`, "data-testid": "mode" }, text);
}

/** Replaces the card's content. */
export function show(...children: Child[]): void {
  const root = document.getElementById("app")!;
  root.replaceChildren(...children.filter((c): c is Node | string => Boolean(c)));
}
