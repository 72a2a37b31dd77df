// Test runner settings: every test bounded in time, nothing left running.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
