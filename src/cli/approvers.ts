// `spacepay-mcp approvers add NAME [--subject SUB] [--port N] | list | remove NAME`: the roster of
// people whose passkeys approve withdrawals (SPACEPAY_APPROVAL=passkey). The enrollment link goes to
// stdout alone on its line; everything else to stderr. Exit 0 done, 1 failed or expired, 2 usage.
import { ConfigError, effectiveStateDir, loadConfig, type Config } from "../config/index.js";
import { log } from "../log.js";
import type { StateStore } from "../safety/state.js";
import type { ParsedArgs } from "./args.js";

/** How long an enrollment link stays valid. */
export const ENROLLMENT_TTL_MS = 15 * 60 * 1000;

const NAME = /^[A-Za-z0-9 ._-]{1,64}$/;
const USAGE = "usage: spacepay-mcp approvers add NAME [--subject SUB] [--port N] | list | remove NAME";

export async function runApprovers(
  parsed: Pick<ParsedArgs, "action" | "operand" | "flags">,
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): Promise<number> {
  const { action, operand: name, flags } = parsed;
  const problem = (message: string) => (log("error", `approvers: ${message}`), 2);
  if (action !== "add" && action !== "list" && action !== "remove") return problem(USAGE);
  if (action !== "list" && (name === undefined || !NAME.test(name)))
    return problem(`NAME must be 1 to 64 letters, digits, spaces or . _ - (${USAGE})`);
  const { subject, port, ...settings } = flags;
  if (subject !== undefined && (typeof subject !== "string" || !subject.trim()))
    return problem("--subject needs the OAuth subject (the sub claim) as its value");
  let config: Config;
  try {
    config = loadConfig({ env, flags: settings });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return problem(`configuration problem:\n${err.message}`);
  }
  const listenPort = port === undefined ? 0 : Number(port);
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65_535)
    return problem("--port must be an integer from 0 to 65535");
  if (action === "add" && config.databaseUrl && !config.publicUrl)
    return problem(
      "with SPACEPAY_DATABASE_URL the running instances serve the enrollment page: set SPACEPAY_PUBLIC_URL to their public URL",
    );

  const { openState } = await import("../safety/open-state.js");
  const state = await openState({
    stateDir: effectiveStateDir(config),
    databaseUrl: config.databaseUrl,
    stateKey: config.stateKey,
  });
  try {
    if (action === "list") return await list(state, out);
    if (action === "remove") return await remove(state, name!);
    return await add(
      state,
      config,
      name!,
      typeof subject === "string" ? subject.trim() : null,
      listenPort,
      out,
    );
  } finally {
    await state.close();
  }
}

const roster = (state: StateStore, action: string, args: Record<string, unknown>) =>
  state.audit.append({
    time: new Date().toISOString(),
    event: "outcome",
    tool: "approvers",
    args: { action, ...args },
    confirmation: null,
    idempotencyKey: null,
    outcome: "done",
  });

async function list(state: StateStore, out: (line: string) => void): Promise<number> {
  const approvers = await state.approvals.listApprovers();
  if (!approvers.length) {
    log("info", "approvers: none enrolled yet; add one with spacepay-mcp approvers add NAME");
    return 0;
  }
  const day = (ms: number | null) => (ms === null ? "never" : new Date(ms).toISOString().slice(0, 16) + "Z");
  const rows = [
    ["NAME", "SUBJECT", "PASSKEYS", "ADDED", "LAST USED"],
    ...approvers.map((a) => [
      a.name,
      a.subject ?? "-",
      String(a.passkeys),
      day(a.createdAt),
      day(a.lastUsedAt),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    out(
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
  return 0;
}

async function remove(state: StateStore, name: string): Promise<number> {
  if (!(await state.approvals.removeApprover(name))) {
    log("error", `approvers: no approver named ${JSON.stringify(name)}`);
    return 1;
  }
  await roster(state, "remove", { name });
  log("info", `approvers: removed ${name} and their passkeys`);
  return 0;
}

async function add(
  state: StateStore,
  config: Config,
  name: string,
  subject: string | null,
  port: number,
  out: (line: string) => void,
): Promise<number> {
  const existing = await state.approvals.approver(name);
  if (existing && subject !== null && existing.subject !== subject) {
    log("error", `approvers: ${name} is already linked to another OAuth subject; remove them first`);
    return 2;
  }
  const now = new Date();
  const linkId = await state.approvals.createEnrollment(
    name,
    subject ?? existing?.subject ?? null,
    now,
    ENROLLMENT_TTL_MS,
  );
  const expires = new Date(now.getTime() + ENROLLMENT_TTL_MS).toISOString();
  await roster(state, "add", { name, ...(subject && { subject }), expires });
  if (config.databaseUrl) {
    out(`${config.publicUrl}/approvals/enroll/${linkId}`);
    log("info", `approvers: open the link before ${expires} and press "Register passkey"`);
    return 0;
  }
  // SQLite: this command serves the page itself until the passkey is registered or the link expires.
  const [{ serveLoopbackPages }, { approvalRoutes }, { relyingParty }] = await Promise.all([
    import("../approvals/loopback.js"),
    import("../approvals/routes.js"),
    import("../approvals/passkeys.js"),
  ]);
  let enrolled!: () => void;
  const registered = new Promise<void>((resolve) => (enrolled = resolve));
  let base = "";
  const routes = approvalRoutes({
    state: async () => state,
    rp: () => relyingParty(base),
    onEnrolled: () => enrolled(),
  });
  const pages = await serveLoopbackPages(port, routes);
  base = pages.baseUrl;
  out(`${base}/approvals/enroll/${linkId}`);
  log("info", `approvers: open the link on this machine before ${expires} and press "Register passkey"`);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>(
    (resolve) => (timer = setTimeout(() => resolve(false), ENROLLMENT_TTL_MS)),
  );
  const ok = await Promise.race([registered.then(() => true), expired]);
  clearTimeout(timer);
  await pages.close();
  if (!ok) log("error", "approvers: the enrollment link expired; nothing was registered");
  return ok ? 0 : 1;
}
