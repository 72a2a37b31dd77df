#!/usr/bin/env node
// Brings manifest.json's version, tools and prompts in line with package.json and what the built
// server lists (demo mode, over stdio). `--check` only reports drift and exits 1 if there is any.
// Run after `npm run build`; test/ecosystem/manifest.test.ts fails until the manifest matches.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { format } from "prettier";

const ROOT = path.resolve(import.meta.dirname, "..");
const MANIFEST = path.join(ROOT, "manifest.json");
const check = process.argv.includes("--check");

// Arguments the server validates get a valid sample value, put back as the placeholder afterwards.
const SAMPLES = { date: "1999-12-31" };

/** What the built server lists, in the manifest's shape. Prompt text keeps ${arguments.x} placeholders. */
async function listFromServer() {
  const stateDir = mkdtempSync(path.join(tmpdir(), "spacepay-mcp-manifest-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(ROOT, "dist/cli.js")],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", SPACEPAY_STATE_DIR: stateDir },
    stderr: "ignore",
  });
  const client = new Client({ name: "sync-manifest", version: "1" });
  try {
    await client.connect(transport);
    const tools = (await client.listTools()).tools.map((t) => ({ name: t.name, description: t.description }));
    const prompts = [];
    for (const p of (await client.listPrompts()).prompts) {
      const required = (p.arguments ?? []).filter((a) => a.required).map((a) => a.name);
      const placeholder = (name) => `\${arguments.${name}}`;
      const args = Object.fromEntries(required.map((name) => [name, SAMPLES[name] ?? placeholder(name)]));
      const { messages } = await client.getPrompt({ name: p.name, arguments: args });
      let text = messages.map((m) => (m.content.type === "text" ? m.content.text : "")).join("\n\n");
      for (const name of required)
        if (SAMPLES[name]) text = text.replaceAll(SAMPLES[name], placeholder(name));
      const names = (p.arguments ?? []).map((a) => a.name);
      prompts.push({ name: p.name, description: p.description, arguments: names, text });
    }
    return { tools, prompts };
  } finally {
    await client.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const manifest = JSON.parse(readFileSync(MANIFEST, "utf8"));
const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const next = { ...manifest, version, ...(await listFromServer()) };

const drift = ["version", "tools", "prompts"].filter(
  (key) => JSON.stringify(manifest[key]) !== JSON.stringify(next[key]),
);
if (check) {
  if (drift.length > 0) {
    process.stderr.write(
      `manifest.json is out of date (${drift.join(", ")}): run node scripts/sync-manifest.mjs\n`,
    );
    process.exitCode = 1;
  }
} else if (drift.length === 0) {
  process.stderr.write("manifest.json is up to date\n");
} else {
  writeFileSync(
    MANIFEST,
    await format(JSON.stringify(next, null, 2), { filepath: MANIFEST, printWidth: 110 }),
  );
  process.stderr.write(`manifest.json updated: ${drift.join(", ")}\n`);
}
