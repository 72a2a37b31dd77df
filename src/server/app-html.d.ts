// The MCP Apps pages (apps/), built by scripts/build-apps.mjs and supplied as this module by the
// bundler (scripts/build.mjs) and by the test runner (vitest.config.ts): name → self-contained HTML.
declare module "spacepay:app-html" {
  const pages: Record<"payment-card" | "approval-card", string>;
  export default pages;
}
