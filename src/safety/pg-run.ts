// The PostgreSQL plumbing every shared-state module uses: named-parameter statements, transactions
// with bounded retries, and errors that name the database (never its URL) when it is not there.
import type { Pool, PoolClient, QueryResultRow } from "pg";
import { StateUnavailableError } from "./state.js";

export const PG_WHERE = "the PostgreSQL database (SPACEPAY_DATABASE_URL)";

/** A serialization failure or deadlock is retried this many times before the call fails (closed). */
const TX_ATTEMPTS = 3;
const RETRYABLE = new Set(["40001", "40P01"]);

/** Codes that mean "the database is not there" rather than "this statement is wrong". */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? "";
  if (/^(08|57P)/.test(code)) return true;
  if (
    ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "EPIPE"].includes(
      code,
    )
  )
    return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout/i.test(
    e?.message ?? "",
  );
}

/** The error a caller sees: names the database and the reason, never the URL or the password. */
export function describe(err: unknown): Error {
  if (err instanceof StateUnavailableError) return err;
  const code = (err as { code?: string } | null)?.code ?? "";
  // Class 28 (invalid authorization) and 3D000 (no such database): the URL's login or name is wrong.
  if (/^28/.test(code) || code === "3D000") {
    const what = code === "3D000" ? "the database named does not exist" : "authentication failed";
    return new StateUnavailableError(
      `${PG_WHERE} refused the connection: ${what} (${code}).`,
      "SPACEPAY_DATABASE_URL",
    );
  }
  if (isUnavailable(err)) {
    const e = err as { code?: string; message?: string };
    const reason = e.code ?? (e.message ?? "no answer").replace(/\s+/g, " ").slice(0, 80);
    return new StateUnavailableError(`${PG_WHERE} is unavailable (${reason}).`, "SPACEPAY_DATABASE_URL");
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** `@name` parameters to `$1…`, once per statement text. */
const compiled = new Map<string, { text: string; names: string[] }>();
function compile(sql: string): { text: string; names: string[] } {
  let hit = compiled.get(sql);
  if (!hit) {
    const names: string[] = [];
    const text = sql.replace(/@(\w+)/g, (_, name: string) => {
      let i = names.indexOf(name);
      if (i === -1) i = names.push(name) - 1;
      return `$${i + 1}`;
    });
    hit = { text, names };
    compiled.set(sql, hit);
  }
  return hit;
}

export type Queryable = Pick<Pool | PoolClient, "query">;

export async function run<R extends QueryResultRow>(
  db: Queryable,
  sql: string,
  params: Record<string, unknown> = {},
): Promise<{ rows: R[]; rowCount: number }> {
  const { text, names } = compile(sql);
  try {
    const res = await db.query<R>(
      text,
      names.map((n) => params[n] ?? null),
    );
    return { rows: res.rows, rowCount: res.rowCount ?? 0 };
  } catch (err) {
    throw describe(err);
  }
}

export async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw describe(err);
  }
}

/** Runs `fn` in a transaction, retrying serialization failures and deadlocks a bounded number of times. */
export async function transaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await connect(pool);
    try {
      await run(client, "BEGIN");
      const out = await fn(client);
      await run(client, "COMMIT");
      client.release();
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(isUnavailable(err) || err instanceof StateUnavailableError ? true : undefined);
      const code = (err as { code?: string }).code ?? "";
      if (!RETRYABLE.has(code) || attempt >= TX_ATTEMPTS) throw describe(err);
    }
  }
}
