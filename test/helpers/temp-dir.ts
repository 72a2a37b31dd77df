// Temporary directories for the suite and for the bench, which imports the harnesses outside vitest:
// so no vitest import here (fixtures.ts builds the test fixtures on these).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A new private (0700) directory under the system's temp dir; whoever makes it removes it. */
export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "spacepay-test-"));
}

/** Retries while a stopping server may still write its state files. */
export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
}
