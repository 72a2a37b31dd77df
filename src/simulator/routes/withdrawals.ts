// Withdrawal routes (secret key), wallet balances (secret key) and the bearer-authenticated
// withdrawal-config route.
import { WITHDRAWAL_STATUSES } from "../../spacepay/wire.js";
import { ApiError, invalid, notFound } from "../errors.js";
import { formatTokenAmount } from "../../spacepay/money.js";
import { chainById, defaultTokenOn, listChains, type TokenEntry } from "../registry.js";
import { asObject, int, oneOf, queryEnum, queryInt, str } from "../validate.js";
import { EVM_ADDRESS } from "../../spacepay/chains.js";
import { page, withdrawalDto } from "../views.js";
import { createWithdrawal } from "../withdrawals.js";
import { MAX_CENTS } from "./payments.js";
import { ok, type Ctx, type Route } from "./types.js";

export const MIN_WITHDRAWAL_CENTS = 100;
const BASE = "/v1/external/secretkey-auth/withdrawals";

/** Chains with a default withdrawal token (USDC), in registry order. */
function withdrawalTokens(): TokenEntry[] {
  return listChains()
    .map((c) => defaultTokenOn(c.chainId))
    .filter((t): t is TokenEntry => t !== undefined);
}

function create(ctx: Ctx) {
  const b = asObject(ctx.body);
  const amountInCents = int(b, "amountInCents", {
    required: true,
    min: MIN_WITHDRAWAL_CENTS,
    max: MAX_CENTS,
    code: "invalid_amount",
  });
  const chainId = str(b, "chainId", { required: true, maxLength: 41 });
  if (!chainById(chainId) || !defaultTokenOn(chainId)) {
    throw invalid(
      "chain_not_supported",
      `chainId must be a supported CAIP-2 chain id, got ${chainId}`,
      "chainId",
    );
  }
  const recipientAddress = str(b, "recipientAddress", {
    required: true,
    pattern: EVM_ADDRESS,
    patternCode: "invalid_address",
    patternMessage: "recipientAddress must be a 0x-prefixed 40-hex-digit EVM address",
  });
  const orderId = str(b, "orderId", { maxLength: 255 });
  const customMetadata = str(b, "customMetadata", { maxLength: 2048 });
  oneOf(b, "currency", ["USD"]);
  const w = createWithdrawal(ctx.rt.sim, {
    amountInCents,
    chainId,
    recipientAddress,
    orderId,
    customMetadata,
  });
  return ok(withdrawalDto(ctx.rt.sim, w), 201);
}

function list(ctx: Ctx) {
  const { sim } = ctx.rt;
  const status = queryEnum(ctx.query, "status", WITHDRAWAL_STATUSES);
  const limit = queryInt(ctx.query, "limit", 1, 1000, 100);
  const offset = queryInt(ctx.query, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
  const all = sim.store.withdrawalOrder;
  const hits = [];
  let total = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const w = all[i];
    if (!w || (status !== undefined && w.status !== status)) continue;
    if (total >= offset && hits.length < limit) hits.push(withdrawalDto(sim, w));
    total++;
  }
  return ok(page(hits, total, limit, offset));
}

function get(ctx: Ctx) {
  const w = ctx.rt.sim.store.withdrawals.get(ctx.params.withdrawalId ?? "");
  if (!w) throw notFound("withdrawal_not_found", "Withdrawal not found");
  return ok(withdrawalDto(ctx.rt.sim, w));
}

function balances(ctx: Ctx) {
  const { sim } = ctx.rt;
  if (sim.config.payoutWallet === null) {
    throw invalid("wallet_not_configured", "Merchant wallet address is not configured");
  }
  return ok({
    balances: withdrawalTokens().map((t) => {
      const raw = sim.store.balances.get(t.dto.chain.chainId) ?? 0n;
      return {
        chainId: t.dto.chain.chainId,
        token: t.dto,
        amountRaw: raw.toString(),
        amountFormatted: formatTokenAmount(raw, t.dto.decimals),
      };
    }),
  });
}

function config(ctx: Ctx) {
  const { sim } = ctx.rt;
  if (ctx.params.merchantId !== sim.config.merchantId) {
    throw new ApiError(
      403,
      "permission_error",
      "merchant_mismatch",
      "The token does not grant access to this merchant",
    );
  }
  return ok({
    backendWallet: sim.config.backendWallet,
    supported: withdrawalTokens().map((t) => t.dto),
    limits: { minAmountInCents: MIN_WITHDRAWAL_CENTS, maxAmountInCents: MAX_CENTS },
  });
}

export const withdrawalRoutes: Route[] = [
  { method: "POST", path: BASE, auth: "secretKey", idempotencyScope: () => "withdrawals", handle: create },
  { method: "GET", path: BASE, auth: "secretKey", handle: list },
  { method: "GET", path: `${BASE}/:withdrawalId`, auth: "secretKey", handle: get },
  { method: "GET", path: "/v1/external/secretkey-auth/wallet/balances", auth: "secretKey", handle: balances },
  { method: "GET", path: "/v1/merchants/:merchantId/withdrawals/config", auth: "bearer", handle: config },
];
