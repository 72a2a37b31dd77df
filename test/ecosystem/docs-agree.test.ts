// README.md, `--help` and manifest.json say the same things where they share facts: setting names,
// flags and defaults, the withdrawal limit's window, tool names, the pinned Inspector version.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/config/index.js";
import { TOOL_NAMES } from "../../src/server/tools/index.js";
import { ROOT, run } from "./helpers.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const readme = read("README.md");
const manifest = JSON.parse(read("manifest.json")) as {
  long_description: string;
  user_config: Record<string, { description: string }>;
  tools: Array<{ name: string }>;
};
const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };

interface Fact {
  flag: string | null;
  default: string;
}

/** The README's settings table, by variable name (markdown unescaped). */
function readmeSettings(): Map<string, Fact> {
  const out = new Map<string, Fact>();
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Safety model"));
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
    const [, names = "", flag = "", , , dflt = ""] = cells;
    const env = /`([A-Z_]+)`/.exec(names)?.[1] ?? "";
    out.set(env, { flag: flag === "(env only)" ? null : flag.replace(/`/g, ""), default: dflt });
  }
  return out;
}

/** `--help`'s settings, by variable name: "  --flag, VAR[, VAR_FILE]" then "      … Default: X." */
function helpSettings(help: string): Map<string, Fact> {
  const out = new Map<string, Fact>();
  const lines = help.split("\n");
  lines.forEach((line, i) => {
    const names = /^ {2}((?:--[a-z-]+, )?(?:SPACEPAY|OTEL)_[A-Z_]+)(?:, SPACEPAY_[A-Z_]+_FILE)?$/.exec(
      line,
    )?.[1];
    if (!names) return;
    const [flag, env] = names.includes(", ") ? names.split(", ") : [null, names];
    const dflt = /Default: (.*)\.$/.exec(lines[i + 1] ?? "")?.[1] ?? "";
    out.set(env!, { flag: flag ?? null, default: dflt });
  });
  return out;
}

let help: string;
beforeAll(async () => {
  requireBuild();
  help = (await run(process.execPath, [CLI, "--help"], { timeoutMs: 15_000 })).stdout;
});

describe("README, --help and manifest.json agree", () => {
  it("the README's settings table is the one generated from src/config/", async () => {
    const res = await run(process.execPath, ["--import", "tsx", "scripts/sync-readme.mjs", "--check"], {
      cwd: ROOT,
      timeoutMs: 30_000,
    });
    expect(res.code, res.stderr).toBe(0);
  }, 40_000);

  it("README and --help list the same settings with the same flags and defaults", () => {
    const fromReadme = readmeSettings();
    const fromHelp = helpSettings(help);
    const envs = Object.values(SETTINGS).map((s) => s.env);
    expect([...fromReadme.keys()].sort()).toEqual([...envs].sort());
    expect(Object.fromEntries(fromHelp)).toEqual(Object.fromEntries(fromReadme));
    // The state directory's default is spelled out, not left as "per-user data dir".
    expect(fromReadme.get("SPACEPAY_STATE_DIR")?.default).toMatch(/XDG_DATA_HOME.*Library.*APPDATA/);
  });

  it("all three call the withdrawal limit a rolling 24 hours, and none a UTC or calendar day", () => {
    const manifestLimit = manifest.user_config.daily_withdrawal_limit_cents?.description ?? "";
    const helpLimit = help.slice(help.indexOf("SPACEPAY_DAILY_WITHDRAWAL_LIMIT_CENTS"));
    for (const [where, text] of [
      ["README", readme],
      ["--help", helpLimit.slice(0, helpLimit.indexOf("\n  --"))],
      ["manifest", manifestLimit],
    ] as const) {
      expect(text, where).toMatch(/rolling 24 hours/);
    }
    for (const text of [readme, help, JSON.stringify(manifest)]) expect(text).not.toMatch(/per (UTC )?day/i);
  });

  it("README's tools table and manifest.json name exactly the server's tools", () => {
    const section = readme.slice(readme.indexOf("## Tools"), readme.indexOf("## Resources and prompts"));
    const inTable = section
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .flatMap((l) => [...(l.split("|")[1] ?? "").matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    expect([...inTable].sort()).toEqual([...TOOL_NAMES].sort());
    expect(manifest.tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
  });

  it("npm run inspect pins the Inspector version the README names", () => {
    const pinned = /@modelcontextprotocol\/inspector@(\d+\.\d+\.\d+)/.exec(pkg.scripts.inspect ?? "")?.[1];
    expect(pinned).toBeDefined();
    expect(readme).toContain(`pins Inspector **${pinned}**`);
    expect(readme).toContain(`@modelcontextprotocol/inspector@${pinned} --cli`);
  });
});
