// Installs this directory's npm project (the node@22 binary the conformance suite runs on) when it is
// missing or not the locked version. The conformance test runs it on first use and .ci/run up front, so
// a user's install of the package never downloads Node 22. npm's output goes to stderr.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const here = import.meta.dirname;

function version(file, key) {
  try {
    const json = JSON.parse(readFileSync(path.join(here, file), "utf8"));
    return key ? json.packages?.[key]?.version : json.version;
  } catch {
    return undefined;
  }
}

const locked = version("package-lock.json", "node_modules/node");
if (!locked || version("node_modules/node/package.json") !== locked) {
  const windows = process.platform === "win32";
  const res = spawnSync(windows ? "npm.cmd" : "npm", ["ci", "--prefix", here, "--no-audit", "--no-fund"], {
    cwd: here,
    stdio: ["ignore", 2, 2],
    shell: windows,
  });
  process.exit(res.status ?? 1);
}
