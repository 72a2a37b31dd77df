// Picks and opens the state backend: PostgreSQL when a database URL is set, else SQLite in the state
// directory. Each is imported only here, on first use (a separate module from state.ts, which both
// backends import, so no import cycle).
import type { OpenStateOptions, StateStore } from "./state.js";

export async function openState(opts: OpenStateOptions): Promise<StateStore> {
  if (opts.databaseUrl) {
    const { openPgState } = await import("./store-pg.js");
    return openPgState(opts.databaseUrl, opts.stateKey ?? null);
  }
  const { openSqliteState } = await import("./store-sqlite.js");
  return openSqliteState(opts.stateDir, { key: opts.stateKey ?? null, auditFs: opts.auditFs });
}
