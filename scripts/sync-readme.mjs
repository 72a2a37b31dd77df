#!/usr/bin/env node
// Regenerates the README's configuration table from SETTINGS in src/config/, the one source --help is
// generated from too. `--check` only reports drift and exits 1 if there is any.
// Run with tsx (it imports the TypeScript config module): node --import tsx scripts/sync-readme.mjs
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { format, resolveConfig } from "prettier";
import { settingsMarkdown } from "../src/config/index.ts";

const README = path.resolve(import.meta.dirname, "../README.md");
const START =
  "<!-- settings table: generated from src/config/ by `node --import tsx scripts/sync-readme.mjs` -->";
const END = "<!-- end of settings table -->";

const current = readFileSync(README, "utf8");
const from = current.indexOf(START);
const to = current.indexOf(END);
if (from === -1 || to < from) {
  process.stderr.write(`README.md has no settings table markers (${START} … ${END})\n`);
  process.exit(1);
}
const spliced = `${current.slice(0, from + START.length)}\n\n${settingsMarkdown()}\n\n${current.slice(to)}`;
const next = await format(spliced, { ...(await resolveConfig(README)), filepath: README });

if (process.argv.includes("--check")) {
  if (next !== current) {
    process.stderr.write(
      "README.md's settings table is out of date: run node --import tsx scripts/sync-readme.mjs\n",
    );
    process.exitCode = 1;
  }
} else if (next === current) {
  process.stderr.write("README.md is up to date\n");
} else {
  writeFileSync(README, next);
  process.stderr.write("README.md settings table updated\n");
}
