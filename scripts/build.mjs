#!/usr/bin/env node
// `npm run build`: bundles the sources with esbuild into dist/ (Node 20), so a cold start loads a few
// files instead of ~230 modules: the launcher src/cli.ts as one CommonJS file (dist/cli.js), and every
// command behind it from src/main.ts as ESM (dist/main.mjs). Code reached only through `await import()`
// (simulator, demo, HTTP transport, stdio transport, durable state, undici) lands in chunks loaded when
// first used.
// Usage: node scripts/build.mjs [--sourcemap]. Type checking is `npm run typecheck`, not this.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { build } from "esbuild";
import { appHtmlModule } from "./build-apps.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUT = path.join(ROOT, "dist");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const sourcemap = process.argv.includes("--sourcemap");

const started = Date.now();
// The MCP Apps pages, built first and bundled as text, so dist/ serves them without the apps/ sources.
const appHtml = {
  name: "spacepay-app-html",
  setup(b) {
    b.onResolve({ filter: /^spacepay:app-html$/ }, () => ({ path: "app-html", namespace: "spacepay" }));
    b.onLoad({ filter: /.*/, namespace: "spacepay" }, async () => ({
      contents: await appHtmlModule(),
      loader: "js",
    }));
  },
};
// The SDK's Node shim imports Ajv at startup for a default validator we never use (we pass our own,
// loaded on the first elicitation): point that import at our shim so Ajv lands in a lazy chunk. The
// biggest single cold-start cost before this: Ajv's module body ran on every start.
const sdkShims = {
  name: "spacepay-sdk-shims",
  setup(b) {
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: path.join(ROOT, "src", "server", "sdk-shims.ts"),
    }));
  },
};
// zod's `z.locales` namespace pulls in all ~50 error-message locales (~300 kB parsed at start); only
// English, its default, is ever used here. `z.locales` keeps `en`; any other locale is absent.
const zodEnglishOnly = {
  name: "spacepay-zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: "zod-locales", namespace: "spacepay-zod" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "spacepay-zod" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: ROOT,
      loader: "js",
    }));
  },
};
// Some ESM dependencies (the OpenTelemetry exporters) import Node built-ins by bare name ("http"):
// write every built-in as `node:…`, so a bare specifier in dist/ can only be a package.
const nodePrefix = {
  name: "spacepay-node-prefix",
  setup(b) {
    const names = new Set(builtinModules.filter((m) => !m.startsWith("_")));
    b.onResolve({ filter: /^[a-z_/]+$/ }, (args) =>
      names.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined,
    );
  },
};
// What both builds share.
const common = {
  absWorkingDir: ROOT,
  outdir: OUT,
  bundle: true,
  platform: "node",
  target: "node20",
  // Native addon: resolved from node_modules at run time, and only when durable state is first opened.
  external: ["better-sqlite3"],
  define: { __SPACEPAY_VERSION__: JSON.stringify(pkg.version) },
  // Whitespace and syntax only: identifiers and function names stay, so stack traces remain readable.
  // No keepNames: it wraps every function made at run time in a `name` definition (~2.7% of the HTTP
  // server's CPU under load), for the few names esbuild suffixes to avoid a clash (`send2`); nothing
  // reads a function's name (every error class names itself).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "eof",
  sourcemap: sourcemap ? "linked" : false,
  metafile: true,
  logLevel: "warning",
};
// The ESM side: every command (src/main.ts), split into chunks that load on first use. `.mjs`, because
// dist/package.json makes `.js` CommonJS for the launcher.
const esm = await build({
  ...common,
  entryPoints: ["src/main.ts"],
  splitting: true,
  format: "esm",
  outExtension: { ".js": ".mjs" },
  // Chunks sit next to cli.js so every output file has the same `..` (the package root).
  chunkNames: "[name]-[hash]",
  // CommonJS dependencies (undici, ajv) call require() for Node built-ins; ESM has none, so give each
  // output file one. Names are prefixed so they cannot collide with bundled top-level symbols.
  banner: {
    js: 'import { createRequire as __spacepayCreateRequire } from "node:module";\nconst require = __spacepayCreateRequire(import.meta.url);',
  },
  plugins: [appHtml, sdkShims, zodEnglishOnly, nodePrefix],
});
// The launcher (src/cli.ts: the argument parser and the stdio warm-start front), one CommonJS file: a
// warm start answers before Node's ESM loader starts, which costs ~4 ms of a ~30 ms start. Its one
// way into the ESM side is `import("./main.js")`, which stays a dynamic import of main.mjs.
const esmSide = {
  name: "spacepay-esm-side",
  setup(b) {
    b.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: "./main.mjs", external: true }));
  },
};
const launcher = await build({
  ...common,
  entryPoints: ["src/cli.ts"],
  format: "cjs",
  // import.meta.url (warm-cache.ts finds build-id beside it) is this file's URL, as in ESM.
  define: { ...common.define, "import.meta.url": "__spacepayImportMetaUrl" },
  banner: { js: 'const __spacepayImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [esmSide, nodePrefix],
});
const outputs = { ...esm.metafile.outputs, ...launcher.metafile.outputs };
// `.js` in dist/ is CommonJS (the launcher); the package root says "module" for the sources.
const DIST_PACKAGE = path.join(OUT, "package.json");
writeFileSync(DIST_PACKAGE, '{ "type": "commonjs" }\n');

// Overwrite in place, then drop whatever an earlier build (or the old tsc output) left behind, so a
// process running from dist/ at this moment keeps finding its files for as long as possible.
const written = new Set([...Object.keys(outputs).map((f) => path.resolve(ROOT, f)), DIST_PACKAGE]);
// The build's identity: a hash of every output file. The warm-start cache (src/cli/warm-cache.ts) keys
// its answers by it, so a rebuilt dist/ never serves an older build's tool list.
const BUILD_ID = path.join(OUT, "build-id");
const hash = createHash("sha256");
for (const file of [...written].sort())
  hash.update(`${path.relative(OUT, file)}\0`).update(readFileSync(file));
writeFileSync(BUILD_ID, hash.digest("hex") + "\n");
written.add(BUILD_ID);
function prune(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) {
      prune(file);
      if (readdirSync(file).length === 0) rmSync(file, { recursive: true });
    } else if (!written.has(file)) rmSync(file);
  }
}
prune(OUT);

const code = Object.entries(outputs).filter(([f]) => /\.m?js$/.test(f));
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
const entry = code.find(([f]) => f.endsWith("/cli.js"));
const total = code.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stderr.write(
  `dist/: ${code.length} files, ${kb(total)} (cli.js ${kb(entry?.[1].bytes ?? 0)}) in ${Date.now() - started} ms\n`,
);
