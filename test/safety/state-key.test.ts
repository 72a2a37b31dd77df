// The state key: configured (env or file, base64 or hex, never echoed) or generated once into the
// state directory, private, and the same for every process that starts at once.

import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { loadConfig } from "../../src/config/index.js";
import { redact } from "../../src/log.js";
import { StateDirError } from "../../src/safety/private-files.js";
import { STATE_KEY_FILE, resolveStateKey } from "../../src/safety/state-key.js";
import { fileMode, runWorker } from "./helpers.js";
import { configError } from "../helpers/config-error.js";

const load = (env: Record<string, string>, readFile?: (f: string) => string) =>
  loadConfig({ env, platform: "linux", homedir: "/home/ada", readFile });

describe("configured state key", () => {
  const key = randomBytes(32);

  it("accepts 32 bytes as hex, base64 or base64url, from the variable or its file", () => {
    for (const text of [key.toString("hex"), key.toString("base64"), key.toString("base64url")]) {
      expect(load({ SPACEPAY_STATE_KEY: text }).stateKey?.equals(key)).toBe(true);
    }
    const c = load({ SPACEPAY_STATE_KEY_FILE: "/run/secrets/state" }, () => key.toString("base64") + "\n");
    expect(c.stateKey?.equals(key)).toBe(true);
    expect(c.sources.stateKey).toBe("file");
    expect(load({}).stateKey).toBeNull();
  });

  it("refuses the wrong length or encoding, naming the variable and the rule, without echoing the value", () => {
    for (const bad of [
      randomBytes(16).toString("base64"),
      randomBytes(33).toString("hex"),
      "not a key at all!",
    ]) {
      const err = configError(() => load({ SPACEPAY_STATE_KEY: bad }));
      expect(err.variable).toBe("SPACEPAY_STATE_KEY");
      expect(err.message).toMatch(
        /SPACEPAY_STATE_KEY.*is not 32 bytes of base64 or hex.*Accepted: 32 bytes as base64/,
      );
      expect(err.message).not.toContain(bad);
    }
  });

  it("refuses the variable and the file set together", () => {
    const text = key.toString("hex");
    const err = configError(() =>
      load({ SPACEPAY_STATE_KEY: text, SPACEPAY_STATE_KEY_FILE: "/k" }, () => text),
    );
    expect(err.message).toContain("SPACEPAY_STATE_KEY and SPACEPAY_STATE_KEY_FILE are both set");
    expect(err.message).not.toContain(text);
  });

  it("is used as given (no file written) and masked in logs in every form", ({ stateDir: dir }) => {
    const other = randomBytes(32);
    expect(resolveStateKey({ configured: other, dir }).equals(other)).toBe(true);
    expect(fs.existsSync(path.join(dir, STATE_KEY_FILE))).toBe(false);
    for (const text of [other.toString("base64"), other.toString("hex"), other.toString("base64url")]) {
      expect(redact(`key ${text}`)).toBe("key [redacted]");
    }
  });

  it("a required key (the database hook) refuses to fall back to a generated one", ({ stateDir: dir }) => {
    expect(() =>
      resolveStateKey({ configured: null, dir, required: { because: "with a database" } }),
    ).toThrow(/SPACEPAY_STATE_KEY \(or SPACEPAY_STATE_KEY_FILE\) is required with a database/);
    expect(fs.existsSync(path.join(dir, STATE_KEY_FILE))).toBe(false);
  });
});

describe("generated state key", () => {
  it("is created once, 0600, in the form SPACEPAY_STATE_KEY accepts, and reused", ({ stateDir: dir }) => {
    const first = resolveStateKey({ configured: null, dir });
    const file = path.join(dir, STATE_KEY_FILE);
    expect(fileMode(file)).toBe(0o600);
    const text = fs.readFileSync(file, "utf8").trim();
    expect(load({ SPACEPAY_STATE_KEY: text }).stateKey?.equals(first)).toBe(true);
    expect(resolveStateKey({ configured: null, dir }).equals(first)).toBe(true);
    expect(redact(text)).toBe("[redacted]");
    // No temporary files left behind.
    expect(fs.readdirSync(dir)).toEqual([STATE_KEY_FILE]);
  });

  it("refuses a symlinked or corrupt key file instead of replacing it", ({ stateDir: dir }) => {
    const file = path.join(dir, STATE_KEY_FILE);
    fs.writeFileSync(path.join(dir, "elsewhere"), randomBytes(32).toString("base64"));
    fs.symlinkSync(path.join(dir, "elsewhere"), file);
    expect(() => resolveStateKey({ configured: null, dir })).toThrow(StateDirError);
    fs.rmSync(file);
    fs.writeFileSync(file, "short\n", { mode: 0o600 });
    expect(() => resolveStateKey({ configured: null, dir })).toThrow(
      /state\.key is not 32 bytes.*restore it/,
    );
    expect(fs.readFileSync(file, "utf8")).toBe("short\n");
  });

  it("processes starting together on a fresh directory all end with the same one key", async ({
    stateDir: dir,
  }) => {
    const startAt = Date.now() + 2_000;
    const run = async () => (await runWorker("state-key-worker.ts", [dir, String(startAt)])).trim();
    const hashes = await Promise.all([run(), run(), run(), run()]);
    expect(new Set(hashes).size).toBe(1);
    const onDisk = resolveStateKey({ configured: null, dir });
    expect(hashes[0]).toBe(createHash("sha256").update(onDisk).digest("hex"));
    expect(fs.readdirSync(dir)).toEqual([STATE_KEY_FILE]);
  }, 30_000);
});
