// docs/ARCHITECTURE.md stays a map that is true: short lines, every repository path it names exists,
// and every "Architecture Invariant" names an existing test file that guards it.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DOC = "docs/ARCHITECTURE.md";
const lines = readFileSync(path.join(ROOT, DOC), "utf8").split("\n");

const exists = (p: string) => existsSync(path.join(ROOT, p));
const codeSpans = (line: string) => [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** A code span that reads as a path from the repository root (placeholders such as `<name>` aside). */
const REPO_PATH = /^(?:src|test|scripts|bench|apps|docs)\/[\w./-]*$/;
/** A code span that reads as a file or folder name relative to its section's folder. */
const RELATIVE_PATH = /^[\w-][\w.-]*(?:\/[\w.-]+)*(?:\.(?:ts|mjs|js|json|md|css)|\/)$/;

describe(DOC, () => {
  it("has no line over 200 characters", () => {
    const long = lines.flatMap((l, i) => (l.length > 200 ? [`line ${i + 1}: ${l.length} characters`] : []));
    expect(long).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const named = lines.flatMap((l, i) =>
      codeSpans(l)
        .filter((s) => REPO_PATH.test(s))
        .map((s) => ({ line: i + 1, path: s })),
    );
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter((n) => !exists(n.path))).toEqual([]);
  });

  it("names only files that exist in the folder a code-map section is about", () => {
    const missing: string[] = [];
    let folders: string[] = [];
    lines.forEach((line, i) => {
      if (line.startsWith("#")) {
        // "### `src/cli.ts`, `src/cli/`": names in this section are relative to src/ or src/cli/.
        folders = codeSpans(line)
          .filter((s) => REPO_PATH.test(s))
          .map((s) => (s.endsWith("/") ? s : path.posix.dirname(s) + "/"));
        return;
      }
      for (const span of codeSpans(line).filter((s) => RELATIVE_PATH.test(s) && !REPO_PATH.test(s))) {
        if (folders.length > 0 && !span.startsWith("dist/") && !folders.some((f) => exists(f + span))) {
          missing.push(`line ${i + 1}: ${span} (under ${folders.join(" or ")})`);
        }
      }
    });
    expect(missing).toEqual([]);
  });

  it("points every Architecture Invariant at an existing test file", () => {
    const invariants = lines.flatMap((l, i) =>
      l.includes("Architecture Invariant") ? [{ line: i + 1, l }] : [],
    );
    expect(invariants.length).toBeGreaterThan(10);
    const unguarded = invariants.filter(
      ({ l }) => !codeSpans(l).some((s) => /^test\/.+\.test\.ts$/.test(s) && exists(s)),
    );
    expect(unguarded.map(({ line }) => `line ${line}`)).toEqual([]);
  });

  it("says where to start for the common changes", () => {
    const start = lines.slice(lines.indexOf("## Where to start"));
    expect(start.length).toBeGreaterThan(1);
    for (const question of [
      /withdrawal guard/,
      /retry policy/,
      /webhooks are verified/,
      /passkey is checked/,
    ]) {
      expect(start.some((l) => question.test(l))).toBe(true);
    }
    for (const change of ["Add a tool", "Add a setting", "Add a confirmation channel", "Add an HTTP route"]) {
      expect(start.some((l) => l.includes(change))).toBe(true);
    }
  });
});
