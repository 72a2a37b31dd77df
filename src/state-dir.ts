// Where durable state lives, decided once: src/config/ uses it for SPACEPAY_STATE_DIR's default and demo
// mode's subfolder, and the stdio front (cli/stdio-front.ts) to find its warm-start cache without
// loading src/config/ and zod. Pure: no I/O, only node:path.
import path from "node:path";
import type { Mode } from "./domain.js";

export interface StateDirContext {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  homedir: string;
}

/** SPACEPAY_STATE_DIR when unset, platform by platform. */
export function defaultStateDir(ctx: StateDirContext): string {
  if (ctx.platform === "win32") {
    const appData = ctx.env.APPDATA?.trim() || path.win32.join(ctx.homedir, "AppData", "Roaming");
    return path.win32.join(appData, "spacepay-mcp");
  }
  if (ctx.platform === "darwin") {
    return path.posix.join(ctx.homedir, "Library", "Application Support", "spacepay-mcp");
  }
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = ctx.env.XDG_DATA_HOME?.trim();
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(ctx.homedir, ".local", "share");
  return path.posix.join(base, "spacepay-mcp");
}

/**
 * Where durable state lives for this config: demo mode uses the demo/ subfolder, so it survives
 * between runs but never mixes with a real deployment's state.
 */
export function effectiveStateDir(config: { mode: Mode; stateDir: string }): string {
  return config.mode === "demo" ? path.join(config.stateDir, "demo") : config.stateDir;
}
