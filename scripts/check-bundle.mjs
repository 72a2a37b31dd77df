// CI's bundle check (.ci/run; too slow for `npm test`: the staged production install takes a minute or
// two): builds the .mcpb, validates the manifest it carries with @anthropic-ai/mcpb, unpacks it, and
// asks the unpacked server for tools/list over stdio, as a host would start it. Exit 1 on any failure.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const MCPB_CLI = path.join(ROOT, "node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
const work = mkdtempSync(path.join(os.tmpdir(), "spacepay-bundle-check-"));
const say = (line) => process.stderr.write(`check-bundle: ${line}\n`);

try {
  const bundle = path.join(work, "spacepay-mcp.mcpb");
  const unpacked = path.join(work, "unpacked");
  execFileSync(process.execPath, [path.join(ROOT, "scripts/bundle.mjs"), bundle], {
    cwd: ROOT,
    stdio: "inherit",
  });
  execFileSync(process.execPath, [MCPB_CLI, "unpack", bundle, unpacked], { stdio: ["ignore", 2, 2] });
  execFileSync(process.execPath, [MCPB_CLI, "validate", path.join(unpacked, "manifest.json")], {
    stdio: ["ignore", 2, 2],
  });
  const manifest = JSON.parse(readFileSync(path.join(unpacked, "manifest.json"), "utf8"));
  const args = manifest.server.mcp_config.args.map((a) => a.replace("${__dirname}", unpacked));
  const tools = await listTools(args, path.join(work, "state"));
  const expected = manifest.tools.map((t) => t.name).sort();
  if (JSON.stringify(tools.sort()) !== JSON.stringify(expected)) {
    throw new Error(
      `tools/list from the unpacked bundle: ${tools.join(", ")}; the manifest names ${expected.join(", ")}`,
    );
  }
  say(`ok: the manifest validates and the unpacked server lists its ${tools.length} tools`);
} catch (err) {
  say(`FAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Starts the unpacked server in demo mode, sends initialize and tools/list, answers the tool names. */
function listTools(args, stateDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? "", SPACEPAY_STATE_DIR: stateDir },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error("no tools/list answer within 30 s"));
    }, 30_000);
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
        const message = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (message.id === 1) {
          child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
          child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n");
        } else if (message.id === 2) {
          clearTimeout(timer);
          // Answered once the server has exited (EOF is a graceful stop), so its files can be removed.
          child.on("close", () =>
            message.error
              ? reject(new Error(`tools/list: ${message.error.message}`))
              : resolve(message.result.tools.map((t) => t.name)),
          );
          child.stdin.end();
        }
      }
    });
    child.on("error", reject);
    child.stdin.write(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          clientInfo: { name: "check-bundle", version: "1" },
        },
      }) + "\n",
    );
  });
}
