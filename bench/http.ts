// Direct HTTP to the simulator with undici, the baseline every MCP figure is compared against.
import { Agent, request } from "undici";
import { SECRET_KEY } from "./child.js";

export const PAYMENTS_PATH = "/v1/external/secretkey-auth/payments";

export interface DirectApi {
  /** GET `path` with the merchant key; resolves to the body text once fully read. */
  get(path: string): Promise<string>;
  close(): Promise<void>;
}

export function directApi(baseUrl: string, connections = 16): DirectApi {
  const dispatcher = new Agent({
    connections,
    connect: { timeout: 10_000 },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return {
    async get(path) {
      const res = await request(baseUrl + path, {
        dispatcher,
        headers: { "x-spacepay-secret-key": SECRET_KEY, accept: "application/json" },
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET ${path} → ${res.statusCode}: ${text.slice(0, 200)}`);
      return text;
    },
    close: () => dispatcher.close(),
  };
}

/** The ids of the first `n` payments, newest first. */
export async function paymentIds(api: DirectApi, n: number): Promise<string[]> {
  const page = JSON.parse(await api.get(`${PAYMENTS_PATH}?limit=${n}`)) as { data: Array<{ id: string }> };
  if (page.data.length === 0) throw new Error("the simulator has no payments to read");
  return page.data.map((p) => p.id);
}
