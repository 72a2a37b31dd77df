#!/usr/bin/env node
// The `spacepay-mcp` command: the MCP server over stdio (default), `simulator`, `demo`, `audit verify`,
// `db migrate`, `approvers add|list|remove`, --help, --version.
// Human-facing output goes to stderr, except --help/--version and the simulator banner (no protocol there).
import module from "node:module";
import path from "node:path";
import { ArgsError, parseArgs } from "./cli/args.js";
import { VERSION } from "./version.js";

// Node ≥ 22.1 keeps compiled code on disk for the next start (the modules below are imported lazily, so
// they are covered); Node 20 has no such method. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    // Logged as every other line is, in the format the flags or SPACEPAY_LOG_FORMAT ask for.
    const { log, presetLogFormat } = await import("./log.js");
    presetLogFormat(err instanceof ArgsError ? err.flags : {}, process.env);
    log("error", (err as Error).message);
    process.exitCode = 2;
    return;
  }
  switch (parsed.command) {
    case "version":
      console.log(VERSION);
      return;
    case "help": {
      const { helpText } = await import("./cli/help.js");
      console.log(helpText());
      return;
    }
    case "simulator": {
      const [{ runSimulatorCli, parseSimulatorArgs }, { listenProblem }] = await Promise.all([
        import("./simulator/cli.js"),
        import("./cli/listen-error.js"),
      ]);
      const fail = (message: string) => {
        console.error(`spacepay-mcp simulator: ${message}`);
        process.exitCode = 2;
      };
      let port: number;
      try {
        port = parseSimulatorArgs(parsed.rest).port ?? 0;
      } catch (err) {
        return fail((err as Error).message);
      }
      let sim;
      try {
        sim = await runSimulatorCli(parsed.rest, (line) => console.log(line));
      } catch (err) {
        // The simulator listens on 127.0.0.1 only: --port is the one thing to change.
        const problem = listenProblem(err, { host: "127.0.0.1", port }, { port: "--port", host: "--port" });
        if (!problem) throw err;
        return fail(problem);
      }
      const stop = () => void sim.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      return;
    }
    case "demo": {
      const { runDemo } = await import("./cli/demo.js");
      // The command that starts this same server from here: `spacepay-mcp` itself is on PATH only
      // when installed globally, so name this file (relative when under the current directory).
      const self = path.relative(process.cwd(), process.argv[1] ?? "dist/cli.js");
      const serverCommand = `node ${self.startsWith("..") || path.isAbsolute(self) ? process.argv[1] : self}`;
      process.exitCode = await runDemo((line) => console.log(line), serverCommand);
      return;
    }
    case "audit": {
      const { runAudit } = await import("./cli/audit.js");
      process.exitCode = await runAudit(parsed.action, parsed.flags, process.env, (line) =>
        console.log(line),
      );
      return;
    }
    case "approvers": {
      const { runApprovers } = await import("./cli/approvers.js");
      process.exitCode = await runApprovers(parsed, process.env, (line) => console.log(line));
      return;
    }
    case "db": {
      const { runDb } = await import("./cli/db.js");
      process.exitCode = await runDb(parsed.action, parsed.flags, process.env, (line) => console.log(line));
      return;
    }
    case "serve": {
      // On stdio, the front answers the first listing requests from the warm-start cache while the
      // real server loads; HTTP has no such first requests to wait on.
      if (!parsed.flags.http) {
        const { serveWithWarmStart } = await import("./cli/stdio-front.js");
        process.exitCode = await serveWithWarmStart(parsed.flags, process.env, process.argv.slice(2));
        return;
      }
      const { serve } = await import("./cli/serve.js");
      process.exitCode = await serve(parsed.flags, process.env);
      return;
    }
  }
}

void main();
