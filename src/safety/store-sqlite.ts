// The embedded backend: the synchronous SQLite store (store.ts, BEGIN IMMEDIATE transactions) and
// the audit.jsonl file, presented as the async StateStore. A synchronous transaction wrapped in a
// Promise stays atomic: nothing else runs on this thread while it holds the lock.
import type { AuditFs } from "./audit.js";
import { openAuditLog } from "./audit.js";
import { asyncMethods, type StateStore } from "./state.js";
import { openStateStore } from "./store.js";

export async function openSqliteState(
  dir: string,
  opts: { key?: Buffer | null; auditFs?: AuditFs } = {},
): Promise<StateStore> {
  // The configured key, or the one generated into the state directory (resolved by the store).
  const store = await openStateStore(dir, { key: opts.key ?? null });
  let audit: ReturnType<typeof openAuditLog>;
  try {
    // The database's write lock orders appends from every process sharing the directory (the chain).
    audit = openAuditLog(dir, { io: opts.auditFs, lock: (fn) => store.exclusive(fn) });
  } catch (err) {
    store.close();
    throw err;
  }
  const { append, readRecent } = asyncMethods({
    append: audit.append.bind(audit),
    readRecent: audit.readRecent.bind(audit),
  });
  return {
    backend: "sqlite",
    where: store.file,
    schemaVersion: store.schemaVersion,
    secrets: asyncMethods({ get: store.secrets.get, put: store.secrets.put }),
    ledger: asyncMethods(store.ledger),
    confirmations: asyncMethods(store.confirmations),
    calls: asyncMethods(store.calls),
    claims: store.claims,
    approvals: store.approvals,
    orderIndex: store.orderIndex,
    webhookEvents: store.webhookEvents,
    audit: { where: audit.file, append, readRecent },
    // The write lock: the file is there and writable (another process's transaction is waited for).
    ping: async () => store.exclusive(() => undefined),
    async close() {
      audit.close();
      store.close();
    },
  };
}
