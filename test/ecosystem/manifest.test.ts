// manifest.json (the MCP Bundle manifest): valid for mcpb, in step with package.json and with what
// the built server lists, and — configured the way an MCPB host would — a working server.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb/node";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SETTINGS } from "../../src/config/index.js";
import { connectStdio, demoEnv, ROOT, run } from "./helpers.js";
import { LISTED_TOOLS, READ_ONLY_TOOLS } from "../helpers/listed-tools.js";
import { CLI, requireBuild } from "../helpers/built-cli.js";

const MCPB_CLI = path.join(ROOT, "node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
const FIX = "run `npm run build && node scripts/sync-manifest.mjs`";

interface UserConfigOption {
  type: string;
  title: string;
  description: string;
  required?: boolean;
  sensitive?: boolean;
  default?: string | number | boolean;
}
interface Manifest {
  manifest_version: string;
  name: string;
  version: string;
  server: {
    type: string;
    entry_point: string;
    mcp_config: { command: string; args: string[]; env: Record<string, string> };
  };
  user_config: Record<string, UserConfigOption>;
  tools: Array<{ name: string; description?: string }>;
  prompts: Array<{ name: string; description?: string; arguments?: string[]; text: string }>;
  compatibility: { runtimes: { node: string } };
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, "manifest.json"), "utf8")) as Manifest;
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};
const settingByEnv = new Map(Object.values(SETTINGS).map((s) => [s.env, s]));
const USER_CONFIG_REF = /^\$\{user_config\.([a-z_]+)\}$/;

/** The env an MCPB host would hand the server, given what the user filled in. */
async function hostEnv(userConfig: Record<string, string | number | boolean>) {
  const config = await getMcpConfigForManifest({
    manifest: manifest as never,
    extensionPath: ROOT,
    systemDirs: {},
    userConfig,
    pathSeparator: path.sep,
  });
  if (!config) throw new Error("the host would not start the server (required configuration missing?)");
  return config as { command: string; args?: string[]; env?: Record<string, string> };
}

let stateDir: string;
it.beforeAll(({ fileDir }) => {
  requireBuild();
  stateDir = fileDir;
});

describe("manifest.json", () => {
  it("passes mcpb's own validator", async () => {
    const res = await run(process.execPath, [MCPB_CLI, "validate", path.join(ROOT, "manifest.json")], {
      timeoutMs: 30_000,
    });
    expect(res.stdout, res.stdout + res.stderr).toContain("Manifest schema validation passes!");
    expect(res.code).toBe(0);
  });

  it("names the package, its version and its entry point", () => {
    expect(manifest.name).toBe(pkg.name);
    expect(manifest.version, `version differs from package.json: ${FIX}`).toBe(pkg.version);
    expect(manifest.server.type).toBe("node");
    expect(manifest.server.entry_point).toBe("dist/cli.js");
    expect(manifest.server.mcp_config.command).toBe("node");
    expect(manifest.server.mcp_config.args).toEqual(["${__dirname}/dist/cli.js"]);
    expect(manifest.compatibility.runtimes.node).toMatch(/^>=20/);
  });

  it("lists exactly the tools and prompts the server lists", async () => {
    const { client } = await connectStdio(process.execPath, [CLI], demoEnv(stateDir));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(LISTED_TOOLS);
      expect(manifest.tools, `tools differ from tools/list: ${FIX}`).toEqual(
        tools.map((t) => ({ name: t.name, description: t.description })),
      );
      const { prompts } = await client.listPrompts();
      const listed = prompts.map((p) => ({
        name: p.name,
        description: p.description,
        arguments: (p.arguments ?? []).map((a) => a.name),
      }));
      expect(
        manifest.prompts.map(({ text: _text, ...rest }) => rest),
        `prompts differ from prompts/list: ${FIX}`,
      ).toEqual(listed);
      // Prompt text (placeholders put back in) is rebuilt the one way the sync script builds it.
      const check = await run(process.execPath, [path.join(ROOT, "scripts/sync-manifest.mjs"), "--check"], {
        timeoutMs: 20_000,
      });
      expect(check.code, `prompt text differs: ${FIX}\n${check.stderr}`).toBe(0);
    } finally {
      await client.close();
    }
  }, 30_000);

  it("maps every user setting to a real environment variable, with the server's own defaults", () => {
    const used = new Set<string>();
    for (const [envName, value] of Object.entries(manifest.server.mcp_config.env)) {
      const setting = settingByEnv.get(envName);
      expect(setting, `${envName} is not a setting in src/config/`).toBeDefined();
      const key = USER_CONFIG_REF.exec(value)?.[1];
      expect(
        key && manifest.user_config[key],
        `${envName} → ${value} names no user_config entry`,
      ).toBeTruthy();
      used.add(key ?? "");
      const option = manifest.user_config[key ?? ""];
      // Nothing is required: with every field left as is the server runs (demo mode without a key).
      expect(option?.required ?? false).toBe(false);
      const serverDefault = setting?.default;
      if (typeof serverDefault === "number" || typeof serverDefault === "boolean") {
        expect(option?.default, `${key} default`).toBe(serverDefault);
      } else if (typeof serverDefault === "string" && envName !== "SPACEPAY_API_URL") {
        expect(option?.default, `${key} default`).toBe(serverDefault);
      } else {
        // Blank means unset to the server: an empty API URL keeps demo mode reachable.
        expect(option?.default, `${key} default`).toBe("");
      }
    }
    expect(Object.keys(manifest.user_config).filter((k) => !used.has(k))).toEqual([]);
    expect(manifest.user_config.secret_key?.sensitive).toBe(true);
    expect(manifest.server.mcp_config.env.SPACEPAY_SECRET_KEY).toBe("${user_config.secret_key}");
  });

  describe("configured by an MCPB host", () => {
    async function start(userConfig: Record<string, string | number | boolean>) {
      const config = await hostEnv(userConfig);
      expect(config.args).toEqual([path.join(ROOT, "dist/cli.js")]);
      // Every placeholder is filled in, even for fields the user left alone.
      expect(JSON.stringify(config.env)).not.toContain("${");
      const command = config.command === "node" ? process.execPath : config.command;
      return connectStdio(command, config.args ?? [], { ...demoEnv(stateDir), ...config.env });
    }

    async function toolNames(client: Client) {
      return (await client.listTools()).tools.map((t) => t.name);
    }

    it("runs in demo mode with every tool when nothing is filled in", async () => {
      const { client, stderr } = await start({});
      try {
        expect(await toolNames(client)).toEqual(manifest.tools.map((t) => t.name));
        expect(stderr()).toMatch(/demo mode: simulated SpacePay, no real money/);
      } finally {
        await client.close();
      }
    }, 30_000);

    it("registers only read-only tools when read_only is ticked", async () => {
      const { client } = await start({ read_only: true, max_withdrawal_cents: 5000 });
      try {
        // Exactly the tools annotated read-only: create_quote and the guarded tools are gone, and
        // refresh_status (it only asks SpacePay to look at the chain) stays.
        expect(await toolNames(client)).toEqual(READ_ONLY_TOOLS);
        expect(READ_ONLY_TOOLS).toContain("refresh_status");
        expect(READ_ONLY_TOOLS.filter((n) => n.startsWith("create_"))).toEqual([]);
      } finally {
        await client.close();
      }
    }, 30_000);
  });
});
