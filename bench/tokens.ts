// Token footprint: what tools/list and two common results cost a model, counted with a BPE tokenizer
// (gpt-tokenizer, o200k_base) as a proxy. "Model-visible" is what a client puts in the model's context
// per tool (name, description, input schema); the whole list adds titles, annotations, output schemas.
import { encode } from "gpt-tokenizer";
import type { RpcChild } from "./child.js";
import { directApi, PAYMENTS_PATH } from "./http.js";
import { round } from "./stats.js";

type Json = Record<string, unknown>;

interface Tool {
  name: string;
  description?: string;
  inputSchema: Json;
  outputSchema?: Json;
}

interface CallResult {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: unknown;
}

export interface ResultFootprint {
  /** Raw API JSON for the same data, as the API sent it. */
  rawBytes: number;
  rawTokens: number;
  textTokens: number;
  structuredTokens: number;
  textOverRaw: number;
  structuredOverRaw: number;
}

export interface TokensResult {
  tokenizer: string;
  tools: number;
  listBytes: number;
  listTokens: number;
  visibleBytes: number;
  visibleTokens: number;
  visibleTokensPerTool: number;
  /** `tool.param` for every input parameter without a description (the goals assume none). */
  undescribedParams: string[];
  perTool: Array<{ name: string; visibleTokens: number; listTokens: number }>;
  /** Where the tokens go, and what some changes would save (tokens). */
  breakdown: {
    toolDescriptions: number;
    paramDescriptions: number;
    outputSchemas: number;
    schemaUriKeys: number;
    visibleWithoutSchemaUri: number;
    listWithoutSchemaUri: number;
    listWithoutOutputSchemas: number;
  };
  getPayment: ResultFootprint;
  listPayments: ResultFootprint & { items: number };
}

const tokens = (s: string) => encode(s).length;

function withoutKey(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutKey(v, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== key)
        .map(([k, v]) => [k, withoutKey(v, key)]),
    );
  }
  return value;
}

/** Every `description` string under a schema (parameter and nested-field descriptions). */
function descriptions(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) descriptions(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "description" && typeof v === "string") out.push(v);
      else descriptions(v, out);
    }
  }
  return out;
}

const visible = (t: Tool) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema });

function footprint(raw: string, result: CallResult): ResultFootprint {
  if (result.isError) throw new Error(`tool call failed: ${result.content?.[0]?.text ?? ""}`);
  const text = (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("\n");
  const rawTokens = tokens(raw);
  const textTokens = tokens(text);
  const structuredTokens = tokens(JSON.stringify(result.structuredContent ?? null));
  return {
    rawBytes: Buffer.byteLength(raw),
    rawTokens,
    textTokens,
    structuredTokens,
    textOverRaw: round(textTokens / rawTokens, 3),
    structuredOverRaw: round(structuredTokens / rawTokens, 3),
  };
}

/** `list` is the server's tools/list answer; `server` is connected to the simulator at `apiUrl`. */
export async function measureTokens(opts: {
  server: RpcChild;
  list: { tools: unknown[] };
  apiUrl: string;
}): Promise<TokensResult> {
  const { server } = opts;
  const list = opts.list as { tools: Tool[] };
  const http = directApi(opts.apiUrl, 1);
  try {
    const tools = list.tools;
    const listJson = JSON.stringify(list);
    const visibleJson = tools.map((t) => JSON.stringify(visible(t)));

    const undescribedParams: string[] = [];
    for (const t of tools) {
      const props = (t.inputSchema.properties ?? {}) as Record<string, Json>;
      for (const [name, schema] of Object.entries(props)) {
        if (typeof schema.description !== "string" || schema.description.trim() === "") {
          undescribedParams.push(`${t.name}.${name}`);
        }
      }
    }
    const visibleTokens = visibleJson.reduce((sum, s) => sum + tokens(s), 0);
    const schemaUriKeys = listJson.split('"$schema":').length - 1;

    // The same data the tools return, straight from the API.
    const rawList = await http.get(`${PAYMENTS_PATH}?limit=20`);
    const page = JSON.parse(rawList) as { data: Array<{ id: string; status: string }> };
    const pick = page.data.find((p) => p.status === "completed") ?? page.data[0];
    if (!pick) throw new Error("the simulator has no payments");
    const rawOne = await http.get(`${PAYMENTS_PATH}/${pick.id}`);
    const one = await server.callTool<CallResult>("get_payment", { paymentId: pick.id });
    const many = await server.callTool<CallResult>("list_payments", { limit: 20 });

    return {
      tokenizer: "gpt-tokenizer o200k_base",
      tools: tools.length,
      listBytes: Buffer.byteLength(listJson),
      listTokens: tokens(listJson),
      visibleBytes: visibleJson.reduce((sum, s) => sum + Buffer.byteLength(s), 0),
      visibleTokens,
      visibleTokensPerTool: Math.round(visibleTokens / Math.max(1, tools.length)),
      undescribedParams,
      perTool: tools
        .map((t) => ({
          name: t.name,
          visibleTokens: tokens(JSON.stringify(visible(t))),
          listTokens: tokens(JSON.stringify(t)),
        }))
        .sort((a, b) => b.visibleTokens - a.visibleTokens),
      breakdown: {
        toolDescriptions: tools.reduce((sum, t) => sum + tokens(t.description ?? ""), 0),
        paramDescriptions: tools.reduce(
          (sum, t) => sum + descriptions(t.inputSchema).reduce((s, d) => s + tokens(d), 0),
          0,
        ),
        outputSchemas: tools.reduce((sum, t) => sum + tokens(JSON.stringify(t.outputSchema ?? {})), 0),
        schemaUriKeys,
        visibleWithoutSchemaUri: tools.reduce(
          (sum, t) => sum + tokens(JSON.stringify(withoutKey(visible(t), "$schema"))),
          0,
        ),
        listWithoutSchemaUri: tokens(JSON.stringify(withoutKey(list, "$schema"))),
        listWithoutOutputSchemas: tokens(JSON.stringify(withoutKey(list, "outputSchema"))),
      },
      getPayment: footprint(rawOne, one),
      listPayments: { ...footprint(rawList, many), items: page.data.length },
    };
  } finally {
    await http.close();
  }
}
