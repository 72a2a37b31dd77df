#!/usr/bin/env node
// The `spacepay-mcp` command: the MCP server over stdio by default, and its subcommands.
import { VERSION } from "./version.js";

const args = process.argv.slice(2);
if (args.includes("--version") || args.includes("-v")) {
  console.log(VERSION);
} else {
  console.error("spacepay-mcp: the server is not wired up yet");
  process.exitCode = 1;
}
