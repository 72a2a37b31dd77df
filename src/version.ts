// The package version (used in the User-Agent and server info): inlined by the build (scripts/build.mjs),
// read from package.json when the sources run directly (tests, tsx).
import { createRequire } from "node:module";

declare const __SPACEPAY_VERSION__: string | undefined;

export const VERSION: string =
  typeof __SPACEPAY_VERSION__ === "string"
    ? __SPACEPAY_VERSION__
    : (createRequire(import.meta.url)("../package.json") as { version: string }).version;
