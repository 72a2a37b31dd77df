// The built server, `node dist/cli.js`, that the process-level tests spawn, and the check that
// fails them with the fix when it has not been built (`npm test` builds it first).
import { existsSync } from "node:fs";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "../..");
export const CLI = path.join(REPO, "dist", "cli.js");

export function requireBuild(): void {
  if (!existsSync(CLI))
    throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it first)");
}
