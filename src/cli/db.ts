// `spacepay-mcp db migrate [--app-role ROLE]`: brings the PostgreSQL schema up to date with the
// owner's URL in SPACEPAY_DATABASE_URL, so the server itself can run as a role that may not change it
// (nor TRUNCATE the audit trail); with --app-role, grants that role exactly what serving needs.
// Exit 0 when done, 1 when the database refused, 2 for a usage or configuration problem.
import { ConfigError, loadSettings } from "../config/index.js";
import { usageProblem, type Subcommand } from "./args.js";

const USAGE = "usage: spacepay-mcp db migrate [--app-role ROLE]  (SPACEPAY_DATABASE_URL: the owner's URL)";

export const runDb: Subcommand = async (action, flags, env, out) => {
  const role = flags["app-role"];
  const problem =
    usageProblem("db", USAGE, { action, flags }, "migrate", ["app-role"]) ??
    (role !== undefined && (typeof role !== "string" || role === "")
      ? `spacepay-mcp db: --app-role needs a role name; ${USAGE}`
      : null);
  if (problem) {
    out(problem);
    return 2;
  }
  const appRole = typeof role === "string" ? role : null;
  let databaseUrl: string | null;
  try {
    ({ databaseUrl } = loadSettings(["databaseUrl"], { env, flags: {} }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out(`spacepay-mcp db: configuration problem:\n${err.message}`);
    return 2;
  }
  if (!databaseUrl) {
    out(
      `spacepay-mcp db: SPACEPAY_DATABASE_URL is not set. SQLite state migrates itself when the server opens it. ${USAGE}`,
    );
    return 2;
  }
  const { migrateDatabase, PG_WHERE } = await import("../safety/store-pg.js");
  let result;
  try {
    result = await migrateDatabase(databaseUrl, appRole);
  } catch (err) {
    out(`spacepay-mcp db: could not migrate ${PG_WHERE}: ${(err as Error).message}`);
    return 1;
  }
  out(`${PG_WHERE} is at schema version ${result.version}`);
  if (appRole === null) return 0;
  out(`granted ${appRole} what serving needs (INSERT and SELECT only on audit_log)`);
  if (result.appRolePowers?.length) {
    out(
      `but ${appRole} can still ${result.appRolePowers.join(", ")}: it is not a least-privilege role (README: Least-privilege PostgreSQL)`,
    );
    return 1;
  }
  return 0;
};
