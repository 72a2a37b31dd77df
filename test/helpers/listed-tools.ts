// The tools a client sees, read from the committed tools/list snapshot (the reviewed contract), so
// tests that check "every tool is served" neither restate a count nor ask the registry about itself.
import { readFileSync } from "node:fs";
import path from "node:path";

interface ListedTool {
  name: string;
  annotations: { readOnlyHint: boolean };
}

const listed = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, "../__snapshots__/tools-list.json"), "utf8"),
) as ListedTool[];

/** Every tool name, in tools/list order. */
export const LISTED_TOOLS: readonly string[] = listed.map((t) => t.name);

/** The tools annotated readOnlyHint: true, in tools/list order. */
export const READ_ONLY_TOOLS: readonly string[] = listed
  .filter((t) => t.annotations.readOnlyHint)
  .map((t) => t.name);
