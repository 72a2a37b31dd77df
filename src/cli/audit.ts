// `spacepay-mcp audit verify [--state-dir DIR]`: checks the audit log's hash chain (audit.jsonl, or
// the audit_log table with SPACEPAY_DATABASE_URL) and says where it breaks. Exit 0 when intact, 1
// when broken or missing, 2 for a usage or configuration problem.
import fs from "node:fs";
import path from "node:path";
import { ConfigError, effectiveStateDir, loadConfig } from "../config/index.js";
import { AUDIT_FILE } from "../safety/audit.js";
import { splitLines, verifyChain } from "../safety/audit-chain.js";

export async function runAudit(
  action: string | undefined,
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): Promise<number> {
  if (action !== "verify") {
    out(
      `spacepay-mcp audit: unknown action ${JSON.stringify(action ?? "")}; usage: spacepay-mcp audit verify [--state-dir DIR]`,
    );
    return 2;
  }
  let dir: string;
  let databaseUrl: string | null;
  try {
    const config = loadConfig({ env, flags });
    dir = effectiveStateDir(config);
    databaseUrl = config.databaseUrl;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out(`spacepay-mcp audit: configuration problem:\n${err.message}`);
    return 2;
  }
  if (databaseUrl) return verifyDatabase(databaseUrl, out);
  const file = path.join(dir, AUDIT_FILE);
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (err) {
    out(
      `no audit log at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): nothing to verify`,
    );
    return 1;
  }
  const verdict = verifyChain(splitLines(content));
  if (!verdict.ok) {
    out(`audit chain BROKEN at line ${verdict.line} of ${file}: ${verdict.reason}`);
    return 1;
  }
  out(`audit chain intact: ${verdict.count} entries (${file})`);
  if (verdict.chainStart !== null && verdict.chainStart > 1) {
    out(`lines 1 to ${verdict.chainStart - 1} predate the chain (older version) and are not protected by it`);
  } else if (verdict.chainStart === null && content.length > 0) {
    out("no line carries a hash yet: the whole log predates the chain and is not protected by it");
  }
  if (verdict.unreadable.length) {
    out(
      `unreadable lines (writes torn by a crash, vouched for by the line after): ${verdict.unreadable.join(", ")}`,
    );
  }
  out(`head ${verdict.head} (record it elsewhere to detect a later rewrite of the end)`);
  return 0;
}

/** The same check over the PostgreSQL audit_log table, in id order; a break is named by row id. */
async function verifyDatabase(databaseUrl: string, out: (line: string) => void): Promise<number> {
  const { readPgAuditLog, PG_WHERE } = await import("../safety/store-pg.js");
  let rows: Array<{ id: string; entry: string }>;
  try {
    rows = await readPgAuditLog(databaseUrl);
  } catch (err) {
    out(`cannot read the audit trail from ${PG_WHERE}: ${(err as Error).message}`);
    return 1;
  }
  const verdict = verifyChain(rows.map((r) => r.entry));
  if (!verdict.ok) {
    out(`audit chain BROKEN at row id ${rows[verdict.line - 1]?.id} of ${PG_WHERE}: ${verdict.reason}`);
    return 1;
  }
  out(`audit chain intact: ${verdict.count} entries (${PG_WHERE})`);
  out(`head ${verdict.head} (record it elsewhere to detect a later rewrite of the end)`);
  return 0;
}
