#!/usr/bin/env node
// `npm run build`: bundles src/cli.ts with esbuild into dist/ (ESM, Node 20), so a cold start loads a few
// files instead of ~230 modules. Code reached only through `await import()` (simulator, demo, HTTP
// transport, stdio transport, durable state, undici) lands in chunks loaded when first used.
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
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ["src/cli.ts"],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Native addon: resolved from node_modules at run time, and only when durable state is first opened.
  external: ["better-sqlite3"],
  // Chunks sit next to cli.js so every output file has the same `..` (the package root).
  chunkNames: "[name]-[hash]",
  // CommonJS dependencies (undici, ajv) call require() for Node built-ins; ESM has none, so give each
  // output file one. Names are prefixed so they cannot collide with bundled top-level symbols.
  banner: {
    js: 'import { createRequire as __spacepayCreateRequire } from "node:module";\nconst require = __spacepayCreateRequire(import.meta.url);',
  },
  define: { __SPACEPAY_VERSION__: JSON.stringify(pkg.version) },
  // Whitespace and syntax only: identifiers and function names stay, so stack traces remain readable.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: "eof",
  sourcemap: sourcemap ? "linked" : false,
  metafile: true,
  logLevel: "warning",
  plugins: [appHtml, sdkShims, zodEnglishOnly, nodePrefix],
});

// Overwrite in place, then drop whatever an earlier build (or the old tsc output) left behind, so a
// process running from dist/ at this moment keeps finding its files for as long as possible.
const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(ROOT, f)));
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

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".js"));
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
const entry = outputs.find(([f]) => f.endsWith("/cli.js"));
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stderr.write(
  `dist/: ${outputs.length} files, ${kb(total)} (cli.js ${kb(entry?.[1].bytes ?? 0)}) in ${Date.now() - started} ms\n`,
);
