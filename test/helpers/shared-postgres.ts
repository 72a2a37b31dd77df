// One PostgreSQL cluster for the whole test run, started on first use: a vitest globalSetup (the default
// export) runs a loopback broker that starts the cluster when a test file first asks, and stops it after
// the run. Each file takes its own databases on it (sharedPostgres) and drops them after, so no state
// leaks between files. A test that stops or breaks the server itself needs its own (startPostgres).
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { startPostgres, type TestPostgres } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The broker's URL: a POST answers with the shared cluster's admin URL, starting it first. */
    postgresBroker: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: ReturnType<typeof startPostgres> | undefined;
  const broker = http.createServer((req, res) => {
    cluster ??= startPostgres();
    cluster.then(
      (c) => res.end(JSON.stringify({ url: c.adminUrl })),
      (err: Error) => {
        res.statusCode = 500;
        res.end(err.stack ?? String(err));
      },
    );
  });
  await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
  project.provide("postgresBroker", `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`);
  return async () => {
    broker.closeAllConnections();
    broker.close();
    const started = await cluster?.catch(() => undefined);
    await started?.stop();
  };
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** This test file's handle on the run's cluster: stop() drops the databases it made. */
export async function sharedPostgres(): Promise<TestPostgres> {
  const res = await fetch(inject("postgresBroker"), { method: "POST" });
  if (!res.ok) throw new Error(`the shared PostgreSQL did not start: ${await res.text()}`);
  const { url } = (await res.json()) as { url: string };
  const made: string[] = [];
  return {
    async freshDatabase() {
      const name = `t${randomBytes(6).toString("hex")}`;
      await admin(url, `CREATE DATABASE ${name}`);
      made.push(name);
      return Object.assign(new URL(url), { pathname: `/${name}` }).toString();
    },
    async stop() {
      for (const name of made.splice(0)) await admin(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
