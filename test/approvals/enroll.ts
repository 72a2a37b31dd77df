// Enrolls an approver the way an operator does: `spacepay-mcp approvers add NAME` (the built CLI),
// its link opened in a browser whose virtual authenticator then holds the new passkey.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { CLI, requireBuild } from "../helpers/built-cli.js";
import { keepCredentials, person, press, type Person } from "./browser.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `spacepay-mcp approvers …` to the end. */
export function approversCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "approvers", ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `approvers add NAME` on SQLite: the command serves the page, the person registers a passkey, the
 * command exits 0. Returns the person (holding the passkey) and what the command printed.
 */
export async function enrollWithCli(
  browser: Browser,
  env: Record<string, string>,
  name: string,
  extra: string[] = [],
): Promise<{ who: Person; link: string; run: CliRun; shots?: { page: Page } }> {
  requireBuild();
  const child = spawn(process.execPath, [CLI, "approvers", "add", name, ...extra], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const lines = createInterface({ input: child.stdout });
  const link = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    void exited.then((code) => reject(new Error(`approvers add exited ${code} before a link: ${stderr}`)));
  });
  lines.on("line", (l) => (stdout += l + "\n"));
  const who = person(browser);
  const page = await who.open(link);
  const result = await press(page, "Register passkey");
  expect(result).toEqual({ ok: true, text: `Passkey registered for ${name}. You can close this page.` });
  await keepCredentials(page, who);
  const code = await exited;
  return { who, link, run: { code, stdout: link + "\n" + stdout, stderr }, shots: { page } };
}
