// Dependencies point one way (cli → runtime → server → safety → spacepay, with src/domain.ts at the
// bottom): read every import in src/ with the TypeScript parser and check the graph.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** src-relative file → the src-relative files it imports (static, dynamic and type-only alike). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const deps = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, ".ts"));
    graph.set(path.relative(SRC, file), [...new Set(deps)]);
  }
  return graph;
}

function importsInto(graph: Map<string, string[]>, from: string, to: readonly string[]): string[] {
  return [...graph]
    .filter(([file]) => file.startsWith(from))
    .flatMap(([file, deps]) =>
      deps.filter((d) => to.some((t) => d.startsWith(t))).map((d) => `${file} → ${d}`),
    );
}

describe("module layers", () => {
  const graph = importGraph();

  it("reads the whole tree", () => {
    expect(graph.has("safety/guard.ts")).toBe(true);
    expect(graph.get("server/register-tools.ts")).toContain("safety/guard.ts");
  });

  // The entry points and the runtime that wires them: above every other layer.
  const ENTRY = ["cli/", "cli.ts", "main.ts", "runtime"];

  it("src/safety imports nothing from the server, the runtime or the entry points", () => {
    expect(importsInto(graph, "safety/", ["server/", "http/", "approvals/", ...ENTRY])).toEqual([]);
  });

  it("the SpacePay client imports nothing from the layers above it", () => {
    expect(importsInto(graph, "spacepay/", ["safety/", "server/", "http/", ...ENTRY])).toEqual([]);
  });

  it("the shared domain vocabulary imports nothing from src", () => {
    expect(graph.get("domain.ts")).toEqual([]);
  });

  it("src/ is on MCP SDK v2: nothing imports the v1 package (a dev dependency, the tests' 2025 client)", () => {
    const v1 = sourceFiles(SRC).flatMap((file) =>
      ts
        .preProcessFile(readFileSync(file, "utf8"), true, true)
        .importedFiles.filter((f) => f.fileName.startsWith("@modelcontextprotocol/sdk"))
        .map((f) => `${path.relative(SRC, file)} → ${f.fileName}`),
    );
    expect(v1).toEqual([]);
  });

  it("has no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (file: string): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "visiting");
      stack.push(file);
      for (const dep of graph.get(file) ?? []) visit(dep);
      stack.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file);
    expect(cycles).toEqual([]);
  });
});
