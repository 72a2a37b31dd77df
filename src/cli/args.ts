// Command-line parsing: a subcommand, then `--name value`, `--name=value` or a bare `--flag` (true).
export interface ParsedArgs {
  command: "serve" | "simulator" | "demo" | "audit" | "db" | "approvers" | "help" | "version";
  /** The word after `audit`, `db` or `approvers` (e.g. "verify", "migrate", "add"). */
  action?: string;
  /** The word after an `approvers` action: the approver's name. */
  operand?: string;
  flags: Record<string, string | boolean>;
  /** Everything after the subcommand, for subcommands that parse their own flags. */
  rest: string[];
}

/** An argument the command line has no place for; `flags` are those parsed anyway (the log format among them). */
export class ArgsError extends Error {
  constructor(
    message: string,
    readonly flags: Record<string, string | boolean>,
  ) {
    super(message);
  }
}

/** Flags that never take a value, so `--http --port 3000` and `--read-only get_payment` parse right. */
const BOOLEAN_FLAGS = new Set(["http", "read-only", "allow-live-withdrawals", "help", "version"]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  let command: ParsedArgs["command"] = "serve";
  let args = [...argv];
  const first = args[0];
  let action: string | undefined;
  let operand: string | undefined;
  if (first === "simulator" || first === "demo") {
    command = first;
    args = args.slice(1);
  } else if (first === "audit" || first === "db") {
    command = first;
    action = args[1]?.startsWith("--") ? undefined : args[1];
    args = args.slice(action === undefined ? 1 : 2);
  } else if (first === "approvers") {
    command = first;
    action = args[1]?.startsWith("--") ? undefined : args[1];
    args = args.slice(action === undefined ? 1 : 2);
    // The name may hold spaces when quoted; it is one argument either way.
    if (args[0] !== undefined && !args[0].startsWith("--")) [operand, ...args] = args;
  } else if (first === "serve") {
    args = args.slice(1);
  }
  const flags: Record<string, string | boolean> = {};
  let unexpected: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h") flags.help = true;
    else if (a === "-v") flags.version = true;
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 2) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else {
        const name = a.slice(2);
        const next = args[i + 1];
        if (!BOOLEAN_FLAGS.has(name) && next !== undefined && !next.startsWith("--")) {
          flags[name] = next;
          i++;
        } else flags[name] = true;
      }
    } else unexpected ??= a;
  }
  // Refused once every flag is read: the refusal follows --log-format wherever it stands.
  if (unexpected !== undefined)
    throw new ArgsError(`unexpected argument ${JSON.stringify(unexpected)}; see --help`, flags);
  if (flags.help) command = "help";
  else if (flags.version) command = "version";
  return {
    command,
    flags,
    rest: args,
    ...(action !== undefined && { action }),
    ...(operand !== undefined && { operand }),
  };
}

/** A one-action subcommand (`audit verify`, `db migrate`): its exit code; `out` is stdout's lines. */
export type Subcommand = (
  action: string | undefined,
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
  out: (line: string) => void,
) => Promise<number>;

/**
 * What is wrong with a one-action subcommand's words (`audit verify`, `db migrate`): its line with the
 * usage, or null when the action is `expected` and every flag is one of `known`.
 */
export function usageProblem(
  command: string,
  usage: string,
  parsed: { action: string | undefined; flags: Record<string, string | boolean> },
  expected: string,
  known: readonly string[],
): string | null {
  if (parsed.action !== expected)
    return `spacepay-mcp ${command}: unknown action ${JSON.stringify(parsed.action ?? "")}; ${usage}`;
  const unknown = Object.keys(parsed.flags).filter((f) => !known.includes(f));
  if (unknown.length)
    return `spacepay-mcp ${command}: unknown flag ${unknown.map((f) => `--${f}`).join(", ")}; ${usage}`;
  return null;
}
