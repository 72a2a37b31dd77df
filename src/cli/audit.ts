// `spacepay-mcp audit verify [--state-dir DIR] [--expect-head SEQ:HASH]`: checks the audit trail
// (audit.jsonl in the state directory, or the audit_log table with SPACEPAY_DATABASE_URL): its hash
// chain, that every withdrawal ledger entry's audit entries are in it, and that a head recorded
// earlier is still a prefix. It reads only: no merchant key, no state key. Exit 0 when all hold, 1
// when anything is broken or missing, 2 for a usage or configuration problem.
import fs from "node:fs";
import path from "node:path";
import { ConfigError, loadSettings } from "../config/index.js";
import { AUDIT_FILE } from "../safety/audit.js";
import { formatMark, parseMark, splitLines, type AuditMark } from "../safety/audit-chain.js";
import { verifyTrail } from "../safety/audit-verify.js";
import type { LedgerEntry } from "../safety/ledger.js";
import { usageProblem, type Subcommand } from "./args.js";

const USAGE = "usage: spacepay-mcp audit verify [--state-dir DIR] [--expect-head SEQ:HASH]";
const FLAGS = ["state-dir", "expect-head"];
/** Ledger entries named one by one before the rest are only counted. */
const SHOWN = 20;

export const runAudit: Subcommand = async (action, flags, env, out) => {
  const problem = usageProblem("audit", USAGE, { action, flags }, "verify", FLAGS);
  if (problem) {
    out(problem);
    return 2;
  }
  let expectHead: AuditMark | null = null;
  if (flags["expect-head"] !== undefined) {
    expectHead = typeof flags["expect-head"] === "string" ? parseMark(flags["expect-head"]) : null;
    if (!expectHead) {
      out(
        `spacepay-mcp audit: --expect-head takes a head as verify prints it, SEQ:HASH (64 hex digits); ${USAGE}`,
      );
      return 2;
    }
  }
  let settings;
  try {
    settings = loadSettings(["stateDir", "databaseUrl"], { env, flags });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out(`spacepay-mcp audit: configuration problem:\n${err.message}`);
    return 2;
  }
  const source = settings.databaseUrl
    ? await readDatabase(settings.databaseUrl)
    : await readStateDir(settings.stateDir);
  if ("problem" in source) {
    out(source.problem);
    return 1;
  }
  return report(source, expectHead, out);
};

interface Source {
  where: string;
  /** How a position in the trail is named in messages (a row's position is its `seq`). */
  unit: "line" | "row";
  lines: Array<string | Uint8Array>;
  /** Null when there is no ledger beside the trail to compare with. */
  ledger: LedgerEntry[] | null;
  /** Set when the trail itself is absent (its ledger entries are still named). */
  absent?: string;
}

async function readStateDir(dir: string): Promise<Source | { problem: string }> {
  const file = path.join(dir, AUDIT_FILE);
  let ledger: LedgerEntry[] | null;
  try {
    const { readSqliteLedger } = await import("../safety/store.js");
    ledger = await readSqliteLedger(dir);
  } catch (err) {
    return { problem: `cannot read the withdrawal ledger in ${dir}: ${(err as Error).message}` };
  }
  try {
    return { where: file, unit: "line", lines: splitLines(fs.readFileSync(file)), ledger };
  } catch (err) {
    const absent = `no audit log at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    if (!ledger?.length) return { problem: `${absent}: nothing to verify` };
    return { where: file, unit: "line", lines: [], ledger, absent };
  }
}

async function readDatabase(databaseUrl: string): Promise<Source | { problem: string }> {
  const { readPgTrail, PG_WHERE } = await import("../safety/store-pg.js");
  try {
    const trail = await readPgTrail(databaseUrl);
    return { where: PG_WHERE, unit: "row", lines: trail.entries, ledger: trail.ledger };
  } catch (err) {
    return { problem: `cannot read the audit trail from ${PG_WHERE}: ${(err as Error).message}` };
  }
}

function report(source: Source, expectHead: AuditMark | null, out: (line: string) => void): number {
  const { where, unit } = source;
  const r = verifyTrail(source.lines, source.ledger, expectHead);
  if (source.absent) out(`${source.absent}, but the withdrawal ledger beside it has entries`);
  if (!r.chain.ok) {
    out(`audit chain BROKEN at ${unit} ${r.chain.line} of ${where}: ${r.chain.reason}`);
  } else {
    out(`audit chain intact: ${r.chain.count} entries (${where})`);
    if (r.chain.chainStart !== null && r.chain.chainStart > 1) {
      out(
        `${unit}s 1 to ${r.chain.chainStart - 1} predate the chain (older version) and are not protected by it`,
      );
    } else if (r.chain.chainStart === null && source.lines.length > 0) {
      out("no entry carries a hash yet: the whole trail predates the chain and is not protected by it");
    }
    if (r.chain.unreadable.length) {
      out(
        `unreadable ${unit}s (writes torn by a crash, vouched for by the ${unit} after): ${r.chain.unreadable.join(", ")}`,
      );
    }
  }
  if (source.ledger === null) {
    out("no withdrawal ledger beside the trail: only the chain was checked");
  } else if (r.missing.length) {
    out(`MISSING from the trail (${r.missing.length}, of ${r.ledgerChecked} ledger entries checked):`);
    for (const line of r.missing.slice(0, SHOWN)) out(`  ${line}`);
    if (r.missing.length > SHOWN) out(`  … and ${r.missing.length - SHOWN} more`);
  } else {
    out(`withdrawal ledger: ${r.ledgerChecked} entries, each one's audit entries present`);
  }
  if (expectHead) {
    out(
      r.headProblem
        ? `expected head ${formatMark(expectHead)} NOT a prefix of the trail: ${r.headProblem}`
        : `expected head ${formatMark(expectHead)}: still a prefix of the trail`,
    );
  }
  const head = formatMark(r.head);
  out(
    `head ${head} (record it outside this machine; later, --expect-head ${head} checks the trail still starts with it)`,
  );
  return r.ok && !source.absent ? 0 : 1;
}
