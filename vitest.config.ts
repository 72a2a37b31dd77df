// Test runner settings: every test bounded in time, nothing left running.
import os from "node:os";
import { defineConfig, type Plugin } from "vitest/config";
// @ts-expect-error: a plain .mjs build script without type declarations
import { appHtmlModule } from "./scripts/build-apps.mjs";

// The MCP Apps pages as scripts/build.mjs bundles them, built from apps/ when a test first imports them.
const appHtml: Plugin = {
  name: "spacepay-app-html",
  resolveId: (id) => (id === "spacepay:app-html" ? "\0spacepay:app-html" : undefined),
  load: (id) => (id === "\0spacepay:app-html" ? (appHtmlModule() as Promise<string>) : undefined),
};

export default defineConfig({
  plugins: [appHtml],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // One file per core at a time: vitest's default (cores - 1) runs one at a time on 2 cores, while
    // most files spend their time waiting on servers they spawned.
    maxWorkers: os.availableParallelism(),
    // The run's one PostgreSQL, started when a test file first asks for it.
    globalSetup: ["test/helpers/shared-postgres.ts"],
  },
});
