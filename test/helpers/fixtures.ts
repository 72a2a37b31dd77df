// The suite's one place for temporary directories, as vitest fixtures: a test takes `stateDir` (a fresh
// private directory, removed after it) or `tempDir` (makes more, all removed after the test); a file's
// hooks take `fileDir` (one directory for the whole file) through `test.beforeAll`. Removal retries
// while a stopping server may still write its state files.
import { test as base } from "vitest";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

export { makeTempDir, removeTempDir };

/** Makes directories on demand and removes every one of them at `cleanup`. */
function tempDirs() {
  const made: string[] = [];
  return {
    make: () => {
      const dir = makeTempDir();
      made.push(dir);
      return dir;
    },
    cleanup: () => made.splice(0).forEach(removeTempDir),
  };
}

export const test = base
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern
  .extend("tempDir", async ({}, { onCleanup }) => {
    const dirs = tempDirs();
    onCleanup(dirs.cleanup);
    return dirs.make;
  })
  .extend("stateDir", async ({ tempDir }) => tempDir())
  // eslint-disable-next-line no-empty-pattern -- as above
  .extend("fileDir", { scope: "file" }, async ({}, { onCleanup }) => {
    const dirs = tempDirs();
    onCleanup(dirs.cleanup);
    return dirs.make();
  });

export const it = test;
