#!/usr/bin/env node
// Builds the MCP Bundle (spacepay-mcp.mcpb): stages dist, manifest.json, README and production
// node_modules (`npm ci --omit=dev`) in a temp dir and packs that with mcpb, so nothing from development
// ships. Run through `npm run bundle` (which builds first). Usage: node scripts/bundle.mjs [output.mcpb]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const MCPB_CLI = path.join(ROOT, "node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
const output = path.resolve(process.argv[2] ?? path.join(ROOT, "spacepay-mcp.mcpb"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const say = (line) => process.stderr.write(`${line}\n`);

const started = Date.now();
const stage = mkdtempSync(path.join(tmpdir(), "spacepay-mcp-bundle-"));
try {
  for (const file of ["package.json", "package-lock.json", "manifest.json", "README.md", ".mcpbignore"]) {
    cpSync(path.join(ROOT, file), path.join(stage, file));
  }
  cpSync(path.join(ROOT, "dist"), path.join(stage, "dist"), {
    recursive: true,
    filter: (src) => !src.endsWith(".map"),
  });

  say("installing production dependencies (npm ci --omit=dev)…");
  // Install scripts run: better-sqlite3 fetches or compiles its addon for this platform and Node ABI.
  execFileSync(npm, ["ci", "--omit=dev", "--no-audit", "--no-fund"], { cwd: stage, stdio: "inherit" });
  // A future npm that skips unapproved install scripts would leave the addon out: fail rather than ship that.
  if (!existsSync(path.join(stage, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"))) {
    throw new Error("better-sqlite3's native addon was not built: check that npm ran its install script");
  }

  // The native addon makes the bundle platform-specific: say so in the staged manifest.
  const manifestPath = path.join(stage, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  manifest.compatibility = { ...manifest.compatibility, platforms: [process.platform] };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  execFileSync(process.execPath, [MCPB_CLI, "pack", stage, output], { stdio: "inherit" });
  const mb = (statSync(output).size / 1024 / 1024).toFixed(1);
  say(
    `\n${path.relative(process.cwd(), output)}: ${mb} MB in ${((Date.now() - started) / 1000).toFixed(0)} s ` +
      `(${process.platform}-${process.arch}, Node ABI ${process.versions.modules})`,
  );
} finally {
  rmSync(stage, { recursive: true, force: true });
}
