// Resources: recent payments and withdrawals, one payment or withdrawal by id (with completion),
// what the server is connected to and allowed to do, and the money-moving audit trail. Every
// resource, template and MCP Apps page is one row of one table (`ResourceDef`), registered in one
// place; the row says whether it is listed, completable and subscribable.
import {
  ResourceNotFoundError,
  ResourceTemplate,
  type McpServer,
  type ReadResourceResult,
  type Resource,
  type Variables,
} from "@modelcontextprotocol/server";
import { NotFoundError } from "../spacepay/errors.js";
import type { SpacePayApi } from "../spacepay/types.js";
import { paymentView, withdrawalView } from "./render.js";
import { callerApi } from "./call-log.js";
import { cleanDeep } from "../text.js";
import type { ObjectKind } from "./payment-watch.js";

const RECENT = 25;
const JSON_MIME = "application/json";

export interface ResourceDeps {
  api: SpacePayApi;
  /** The spacepay://account document (mode, host, tools, policy, which credentials are set). */
  account: () => Record<string, unknown>;
  /** Last audit entries, when durable state is on. */
  auditRecent?: (n: number) => unknown[] | Promise<unknown[]>;
}

function json(uri: string, value: unknown): ReadResourceResult {
  // Compact JSON: resources are read into a model's context, so every byte counts. Every string is
  // cleaned, the audit trail's recorded arguments included.
  return { contents: [{ uri, mimeType: JSON_MIME, text: JSON.stringify(cleanDeep(value)) }] };
}

/**
 * Reads one entity by id; an id SpacePay does not know is resource-not-found, not an internal error:
 * -32602 with `data: {uri}` on every revision (SEP-2164; clients still accept the older -32002).
 */
async function byId<T>(uri: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof NotFoundError) throw new ResourceNotFoundError(uri, `Resource not found: ${uri}`);
    throw err;
  }
}

export function paymentUri(id: string): string {
  return `spacepay://payments/${encodeURIComponent(id)}`;
}

const OBJECT_URI = /^spacepay:\/\/(payments|withdrawals)\/([^/?#]+)$/;

/**
 * The payment or withdrawal a subscribable URI names, or null: the one rule for what can be
 * subscribed to (2025) or listened for (2026-07-28). The recent lists are lists, not objects.
 */
export function subscribableObject(uri: string): { kind: ObjectKind; id: string } | null {
  const m = OBJECT_URI.exec(uri);
  if (!m || m[2] === "recent") return null;
  return { kind: m[1] === "payments" ? "payment" : "withdrawal", id: decodeURIComponent(m[2] ?? "") };
}

/** One resource, template or app page, as registered. */
export interface ResourceDef {
  name: string;
  /** A fixed URI, or a URI template with {variables}. */
  uri: string;
  title: string;
  description: string;
  mimeType: string;
  _meta?: Record<string, unknown>;
  /** `api` is the client as this request uses it (call-log.ts: its API calls are logged to it). */
  read(uri: URL, vars: Variables, api: SpacePayApi): Promise<ReadResourceResult>;
  /** A template's instances for resources/list. */
  list?(api: SpacePayApi): Promise<Resource[]>;
  /** Completion of a template's variables. */
  complete?: Record<string, (value: string) => Promise<string[]>>;
  /** Status changes of one instance can be subscribed to (2025) or listened for (2026-07-28). */
  subscribable?: boolean;
}

/** One entity by id ({paymentId}, {withdrawalId}): recent ones listed and completed, any read or watched. */
interface EntityTemplate<T extends { id: string }> {
  name: string;
  /** A URI template whose one variable, `idVar`, is the id. */
  uri: string;
  idVar: string;
  title: string;
  description: string;
  recent(api: SpacePayApi): Promise<T[]>;
  instance(entity: T): { uri: string; name: string; description: string };
  get(api: SpacePayApi, id: string): Promise<{ data: T }>;
  view(entity: T): unknown;
}

/** An entity template's row; completion looks up the recent ones with `completionApi`. */
function entityTemplate<T extends { id: string }>(
  completionApi: SpacePayApi,
  t: EntityTemplate<T>,
): ResourceDef {
  const { idVar } = t;
  return {
    name: t.name,
    uri: t.uri,
    title: t.title,
    description: t.description,
    mimeType: JSON_MIME,
    subscribable: true,
    list: async (api) => (await t.recent(api)).map((e) => ({ ...t.instance(e), mimeType: JSON_MIME })),
    complete: {
      [idVar]: async (value) =>
        (await t.recent(completionApi)).map((e) => e.id).filter((id) => id.startsWith(value)),
    },
    read: async (uri, vars, api) => {
      const id = decodeURIComponent(String(vars[idVar]));
      const { data } = await byId(uri.href, () => t.get(api, id));
      return json(uri.href, t.view(data));
    },
  };
}

/** The SpacePay resources over `deps` (the MCP Apps pages are rows from apps.ts). */
export function resourceDefs(deps: ResourceDeps): ResourceDef[] {
  const recentPayments = async (api: SpacePayApi) => (await api.listPayments({ limit: RECENT })).data.data;
  const recentWithdrawals = async (api: SpacePayApi) =>
    (await api.listWithdrawals({ limit: RECENT })).data.data;
  const defs: ResourceDef[] = [
    {
      name: "recent_payments",
      uri: "spacepay://payments/recent",
      title: "Recent payments",
      description: `The ${RECENT} most recent payments and deposits`,
      mimeType: JSON_MIME,
      read: async (uri, _vars, api) => json(uri.href, (await recentPayments(api)).map(paymentView)),
    },
    entityTemplate(deps.api, {
      name: "payment",
      uri: "spacepay://payments/{paymentId}",
      idVar: "paymentId",
      title: "Payment",
      description: "One payment by id; subscribe for status updates",
      recent: recentPayments,
      instance: (p) => ({
        uri: paymentUri(p.id),
        name: `payment ${p.id}`,
        description: `${p.type} ${p.status}`,
      }),
      get: (api, id) => api.getPayment(id),
      view: paymentView,
    }),
    {
      name: "recent_withdrawals",
      uri: "spacepay://withdrawals/recent",
      title: "Recent withdrawals",
      description: `The ${RECENT} most recent withdrawals`,
      mimeType: JSON_MIME,
      read: async (uri, _vars, api) => json(uri.href, (await recentWithdrawals(api)).map(withdrawalView)),
    },
    entityTemplate(deps.api, {
      name: "withdrawal",
      uri: "spacepay://withdrawals/{withdrawalId}",
      idVar: "withdrawalId",
      title: "Withdrawal",
      description: "One withdrawal by id; subscribe for status updates",
      recent: recentWithdrawals,
      instance: (w) => ({
        uri: `spacepay://withdrawals/${encodeURIComponent(w.id)}`,
        name: `withdrawal ${w.id}`,
        description: w.status,
      }),
      get: (api, id) => api.getWithdrawal(id),
      view: withdrawalView,
    }),
    {
      name: "account",
      uri: "spacepay://account",
      title: "Account and policy",
      description: "Mode, API host, enabled tools, money-moving policy and which credentials are set",
      mimeType: JSON_MIME,
      read: async (uri) => json(uri.href, deps.account()),
    },
  ];
  const auditRecent = deps.auditRecent;
  if (auditRecent) {
    defs.push({
      name: "audit_recent",
      uri: "spacepay://audit/recent",
      title: "Audit log",
      description: "The last 50 money-moving audit entries",
      mimeType: JSON_MIME,
      read: async (uri) => json(uri.href, await auditRecent(50)),
    });
  }
  return defs;
}

/** Registers every row. `api` is the plain client: each request reads through its own view of it (call-log.ts). */
export function registerResources(mcp: McpServer, api: SpacePayApi, defs: readonly ResourceDef[]): void {
  for (const def of defs) {
    const metadata = {
      title: def.title,
      description: def.description,
      mimeType: def.mimeType,
      ...(def._meta && { _meta: def._meta }),
    };
    if (!def.uri.includes("{")) {
      mcp.registerResource(def.name, def.uri, metadata, (uri, ctx) => def.read(uri, {}, callerApi(api, ctx)));
      continue;
    }
    const list = def.list;
    const template = new ResourceTemplate(def.uri, {
      list: list ? async (ctx) => ({ resources: await list(callerApi(api, ctx)) }) : undefined,
      complete: def.complete,
    });
    mcp.registerResource(def.name, template, metadata, (uri, vars, ctx) =>
      def.read(uri, vars, callerApi(api, ctx)),
    );
  }
}
