// Lint rules: strict TypeScript, and nothing but protocol on stdout (console is for the stderr logger only).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "bench/results.json"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        URL: "readonly",
        Buffer: "readonly",
      },
    },
    rules: {
      "no-console": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // The stderr logger, and the CLI's own human-facing output (help, version, simulator banner), may print.
  { files: ["src/log.ts", "src/cli.ts", "src/main.ts", "src/cli/**/*.ts"], rules: { "no-console": "off" } },
  // Tests and benchmarks are not the server: they may print.
  // Tests read structured tool output loosely.
  {
    files: ["test/**/*.ts", "bench/**/*.ts", "bench/**/*.js"],
    rules: { "no-console": "off", "@typescript-eslint/no-explicit-any": "off" },
  },
);
