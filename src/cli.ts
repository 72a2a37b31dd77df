#!/usr/bin/env node
// The `spacepay-mcp` command: the MCP server over stdio (default), `simulator`, `demo`, `audit verify`,
// `db migrate`, `approvers add|list|remove`, --help, --version.
// Human-facing output goes to stderr, except --help/--version and the simulator banner (no protocol there).
// This launcher holds only the argument parser and the stdio warm-start front, and in dist/ it alone is
// CommonJS (scripts/build.mjs): the usual start, a client launching the stdio server, is answered from
// the warm-start cache before Node's ESM loader has started, which alone costs ~4 ms of a ~30 ms start.
// Everything else is in main.ts and the ESM modules behind it, imported on the first need.
import module from "node:module";
import { ArgsError, parseArgs } from "./cli/args.js";
import { serveWithWarmStart } from "./cli/stdio-front.js";
import { log, presetLogFormat } from "./log.js";

// Node ≥ 22.1 keeps compiled code on disk for the next start (the modules below are imported lazily, so
// they are covered); Node 20 has no such method. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const loadMain = () => import("./main.js");

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    // Logged as every other line is, in the format the flags or SPACEPAY_LOG_FORMAT ask for.
    presetLogFormat(err instanceof ArgsError ? err.flags : {}, process.env);
    log("error", (err as Error).message);
    process.exitCode = 2;
    return;
  }
  // On stdio, the front answers the first listing requests from the warm-start cache while the real
  // server loads; HTTP has no such first requests to wait on.
  if (parsed.command === "serve" && !parsed.flags.http) {
    const server = async () => (await loadMain()).frontServer();
    process.exitCode = await serveWithWarmStart(parsed.flags, process.env, process.argv.slice(2), server);
    return;
  }
  await (await loadMain()).runCommand(parsed);
}

void main();
