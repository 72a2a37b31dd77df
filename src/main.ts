// Every command but the stdio server's warm start, behind the launcher (cli.ts): the ESM side of dist/,
// which Node's ESM loader starts only when something here is needed. Each command loads its own code
// on first use, so `--version` loads neither the SDK nor the simulator.
import path from "node:path";
import type { ParsedArgs } from "./cli/args.js";
import type { FrontServer } from "./cli/stdio-front.js";
import { VERSION } from "./version.js";

/** What the stdio front needs once it hands over to the real server. */
export async function frontServer(): Promise<FrontServer> {
  const [{ serve }, { WarmStartTransport }] = await Promise.all([
    import("./cli/serve.js"),
    import("./cli/warm-record.js"),
  ]);
  return { serve, WarmStartTransport };
}

/** Runs `parsed`; sets process.exitCode, or leaves a server or simulator running. */
export async function runCommand(parsed: ParsedArgs): Promise<void> {
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
      // Over HTTP; on stdio the launcher's front serves (it calls frontServer()).
      const { serve } = await import("./cli/serve.js");
      process.exitCode = await serve(parsed.flags, process.env);
      return;
    }
  }
}
