// The MCP Apps views (apps/<name>/main.ts) bundled into one self-contained HTML page each: the
// script and styles inline, nothing fetched from anywhere. scripts/build.mjs hands the pages to the
// server bundle as the module "spacepay:app-html"; vitest.config.ts does the same for the tests.
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The views, by the name the server serves them under (ui://spacepay/<name>.html). */
export const APPS = ["payment-card", "approval-card"];

/** The largest page a host is handed, in bytes (apps.test.ts asserts it). */
export const MAX_APP_BYTES = 100 * 1024;

// Belt and braces beside the host's own sandbox: even a host that ignores the resource's CSP metadata
// gets a page that can load nothing and connect nowhere.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'";

function page(title, css, js) {
  // esbuild never emits "</script" inside a bundle for the browser; checked so a page cannot end early.
  if (/<\/script/i.test(js) || /<\/style/i.test(css))
    throw new Error(`${title}: inline code closes its own tag`);
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    `<title>${title}</title><style>${css}</style></head>` +
    `<body><main id="app"></main><script type="module">${js}</script></body></html>`
  );
}

/** Builds every view; resolves to `{ [name]: html }`. */
export async function buildApps() {
  const css = (
    await build({
      absWorkingDir: ROOT,
      entryPoints: ["apps/shared/style.css"],
      bundle: true,
      minify: true,
      write: false,
      logLevel: "warning",
    })
  ).outputFiles[0].text.trim();
  const pages = {};
  for (const name of APPS) {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [`apps/${name}/main.ts`],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      legalComments: "none",
      write: false,
      logLevel: "warning",
    });
    const title = name === "payment-card" ? "SpacePay payment" : "SpacePay approval";
    pages[name] = page(title, css, result.outputFiles[0].text.trim());
  }
  return pages;
}

/** The source of the "spacepay:app-html" module. */
export async function appHtmlModule() {
  return `export default ${JSON.stringify(await buildApps())};`;
}

// `node scripts/build-apps.mjs`: print each page's size.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  for (const [name, html] of Object.entries(await buildApps())) {
    process.stderr.write(`${name}: ${(Buffer.byteLength(html) / 1024).toFixed(1)} kB\n`);
  }
}
