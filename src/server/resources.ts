// Resources: recent payments and withdrawals, one payment or withdrawal by id (with completion),
// what the server is connected to and allowed to do, and the money-moving audit trail.
import {
  ResourceNotFoundError,
  ResourceTemplate,
  type McpServer,
  type ReadResourceResult,
} from "@modelcontextprotocol/server";
import { NotFoundError } from "../spacepay/errors.js";
import type { SpacePayApi } from "../spacepay/types.js";
import { paymentView, withdrawalView } from "./render.js";
import { cleanDeep } from "../text.js";

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

export function registerResources(mcp: McpServer, deps: ResourceDeps): void {
  const { api } = deps;
  const recentPayments = async () => (await api.listPayments({ limit: RECENT })).data.data;
  const recentWithdrawals = async () => (await api.listWithdrawals({ limit: RECENT })).data.data;

  mcp.registerResource(
    "recent_payments",
    "spacepay://payments/recent",
    {
      title: "Recent payments",
      description: `The ${RECENT} most recent payments and deposits`,
      mimeType: JSON_MIME,
    },
    async (uri) => json(uri.href, (await recentPayments()).map(paymentView)),
  );

  mcp.registerResource(
    "payment",
    new ResourceTemplate("spacepay://payments/{paymentId}", {
      list: async () => ({
        resources: (await recentPayments()).map((p) => ({
          uri: paymentUri(p.id),
          name: `payment ${p.id}`,
          description: `${p.type} ${p.status}`,
          mimeType: JSON_MIME,
        })),
      }),
      complete: {
        paymentId: async (value) =>
          (await recentPayments()).map((p) => p.id).filter((id) => id.startsWith(value)),
      },
    }),
    { title: "Payment", description: "One payment by id; subscribe for status updates", mimeType: JSON_MIME },
    async (uri, vars) => {
      const id = decodeURIComponent(String(vars.paymentId));
      const { data } = await byId(uri.href, () => api.getPayment(id));
      return json(uri.href, paymentView(data));
    },
  );

  mcp.registerResource(
    "recent_withdrawals",
    "spacepay://withdrawals/recent",
    {
      title: "Recent withdrawals",
      description: `The ${RECENT} most recent withdrawals`,
      mimeType: JSON_MIME,
    },
    async (uri) => json(uri.href, (await recentWithdrawals()).map(withdrawalView)),
  );

  mcp.registerResource(
    "withdrawal",
    new ResourceTemplate("spacepay://withdrawals/{withdrawalId}", {
      list: async () => ({
        resources: (await recentWithdrawals()).map((w) => ({
          uri: `spacepay://withdrawals/${encodeURIComponent(w.id)}`,
          name: `withdrawal ${w.id}`,
          description: w.status,
          mimeType: JSON_MIME,
        })),
      }),
      complete: {
        withdrawalId: async (value) =>
          (await recentWithdrawals()).map((w) => w.id).filter((id) => id.startsWith(value)),
      },
    }),
    { title: "Withdrawal", description: "One withdrawal by id", mimeType: JSON_MIME },
    async (uri, vars) => {
      const id = decodeURIComponent(String(vars.withdrawalId));
      const { data } = await byId(uri.href, () => api.getWithdrawal(id));
      return json(uri.href, withdrawalView(data));
    },
  );

  mcp.registerResource(
    "account",
    "spacepay://account",
    {
      title: "Account and policy",
      description: "Mode, API host, enabled tools, money-moving policy and which credentials are set",
      mimeType: JSON_MIME,
    },
    async (uri) => json(uri.href, deps.account()),
  );

  const auditRecent = deps.auditRecent;
  if (auditRecent) {
    mcp.registerResource(
      "audit_recent",
      "spacepay://audit/recent",
      { title: "Audit log", description: "The last 50 money-moving audit entries", mimeType: JSON_MIME },
      async (uri) => json(uri.href, await auditRecent(50)),
    );
  }
}
