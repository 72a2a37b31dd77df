// Public chain and token registry routes (no credential). Chain ids are CAIP-2 only, as the API documents.
import { notFound } from "../errors.js";
import { chainById, listChains, listTokens, sameContract, tokenById } from "../registry.js";
import { queryEnum, queryInt, queryString } from "../validate.js";
import { page } from "../views.js";
import { ok, type Ctx, type Route } from "./types.js";

function pageOf<T>(ctx: Ctx, items: readonly T[]) {
  const limit = queryInt(ctx.query, "limit", 1, 1000, 100);
  const offset = queryInt(ctx.query, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
  return ok(page(items.slice(offset, offset + limit), items.length, limit, offset));
}

function tokens(ctx: Ctx) {
  const q = ctx.query;
  const chainId = queryString(q, "chainId", 41);
  const symbol = queryString(q, "symbol")?.toUpperCase();
  const contract = queryString(q, "contractAddress");
  const assetType = queryEnum(q, "assetType", ["native", "erc20"] as const);
  const tokenType = queryEnum(q, "tokenType", ["stablecoin", "volatile"] as const);
  const hits = listTokens()
    .map((t) => t.dto)
    .filter(
      (t) =>
        (chainId === undefined || t.chain.chainId === chainId) &&
        (symbol === undefined || t.symbol.toUpperCase() === symbol) &&
        (contract === undefined || sameContract(t.contractAddress, contract)) &&
        (assetType === undefined || t.assetType === assetType) &&
        (tokenType === undefined || t.type === tokenType),
    );
  return pageOf(ctx, hits);
}

export const registryRoutes: Route[] = [
  { method: "GET", path: "/v1/external/chains", auth: "none", handle: (ctx) => pageOf(ctx, listChains()) },
  {
    method: "GET",
    path: "/v1/external/chains/:chainId",
    auth: "none",
    handle: (ctx) => {
      const chain = chainById(ctx.params.chainId ?? "");
      if (!chain) throw notFound("chain_not_found", "Chain not found");
      return ok(chain);
    },
  },
  { method: "GET", path: "/v1/external/tokens", auth: "none", handle: tokens },
  {
    method: "GET",
    path: "/v1/external/tokens/:tokenId",
    auth: "none",
    handle: (ctx) => {
      const token = tokenById(ctx.params.tokenId ?? "");
      if (!token) throw notFound("token_not_found", "Token not found");
      return ok(token.dto);
    },
  },
];
