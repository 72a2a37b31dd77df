// `spacepay-mcp audit verify [--state-dir DIR]`: checks the audit log's hash chain and says where it
// breaks. Exit 0 when intact, 1 when broken or missing, 2 for a usage or configuration problem.
import fs from "node:fs";
import path from "node:path";
import { ConfigError, effectiveStateDir, loadConfig } from "../config.js";
import { AUDIT_FILE } from "../safety/audit.js";
import { splitLines, verifyChain } from "../safety/audit-chain.js";

export function runAudit(
  action: string | undefined,
  flags: Record<string, string | boolean>,
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): number {
  if (action !== "verify") {
    out(
      `spacepay-mcp audit: unknown action ${JSON.stringify(action ?? "")}; usage: spacepay-mcp audit verify [--state-dir DIR]`,
    );
    return 2;
  }
  let dir: string;
  try {
    dir = effectiveStateDir(loadConfig({ env, flags }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out(`spacepay-mcp audit: configuration problem:\n${err.message}`);
    return 2;
  }
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
