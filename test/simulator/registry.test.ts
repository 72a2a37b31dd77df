// The chain and token registry: testnet and mainnet entries, token filters, pagination, CAIP-2 only.
import { describe, expect, it } from "vitest";
import type { WireChain, WirePage, WireToken } from "../../src/spacepay/wire.js";
import { api, BASE_USDC, createPayment, PS, sim } from "./helpers.js";

const none = { auth: { key: null } };

describe("registry", () => {
  it("lists the testnets and a few mainnets, flagged with isTestnet", async () => {
    const res = (await api(await sim()).get("/v1/external/chains", none)).body as WirePage<WireChain>;
    expect(res.data.map((c) => [c.chainId, c.isTestnet])).toEqual([
      ["eip155:84532", true],
      ["eip155:11155111", true],
      ["eip155:8453", false],
      ["eip155:1", false],
    ]);
    expect(res.pagination).toEqual({
      total: 4,
      limit: 100,
      offset: 0,
      hasMore: false,
      totalPages: 1,
      currentPage: 1,
    });
  });

  it("filters tokens by chainId, symbol and contractAddress (case-insensitive), assetType and tokenType", async () => {
    const c = api(await sim());
    const tokens = async (q: string) =>
      ((await c.get(`/v1/external/tokens?${q}`, none)).body as WirePage<WireToken>).data.map(
        (t) => `${t.chain.chainId}/${t.symbol}`,
      );
    expect(await tokens("chainId=eip155:84532")).toEqual([
      "eip155:84532/ETH",
      "eip155:84532/USDC",
      "eip155:84532/USDT",
    ]);
    expect(await tokens("symbol=usdt&chainId=eip155:11155111")).toEqual(["eip155:11155111/USDT"]);
    expect(await tokens(`contractAddress=${BASE_USDC.toUpperCase().replace("0X", "0x")}`)).toEqual([
      "eip155:84532/USDC",
    ]);
    expect(await tokens("assetType=native")).toHaveLength(4);
    expect(await tokens("tokenType=stablecoin&chainId=eip155:1")).toEqual(["eip155:1/USDC", "eip155:1/USDT"]);
    const page = (await c.get("/v1/external/tokens?limit=5&offset=10", none)).body as WirePage<WireToken>;
    expect(page.data).toHaveLength(2);
    expect(page.pagination).toEqual({
      total: 12,
      limit: 5,
      offset: 10,
      hasMore: false,
      totalPages: 3,
      currentPage: 3,
    });
  });

  it("testnet tokens carry the documented contracts and decimals", async () => {
    const res = (await api(await sim()).get("/v1/external/tokens?chainId=eip155:11155111", none))
      .body as WirePage<WireToken>;
    expect(res.data.map((t) => [t.symbol, t.contractAddress, t.decimals, t.assetType])).toEqual([
      ["ETH", "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 18, "native"],
      ["USDC", "0xcae5e5b4a5dd769b021f9f93257b44b0742f77d3", 6, "erc20"],
      ["USDT", "0xd14fce5bc55861c3b71bdea38d22590df8666dbc", 6, "erc20"],
    ]);
  });

  it("chain ids are CAIP-2 only: bare numbers are unknown chains", async () => {
    const s = await sim();
    const c = api(s);
    expect((await c.get("/v1/external/chains/84532", none)).status).toBe(404);
    expect((await c.get("/v1/external/chains/eip155%3A84532", none)).status).toBe(200);
    const { id, secret } = await createPayment(s);
    const res = await c.post(`${PS}/${id}/quotes`, { chainId: "84532" }, { auth: { secret } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { param: "chainId" } });
  });
});

describe("shutdown", () => {
  it("close() cancels processing timers, resolves waiting callers and drops keep-alive sockets", async () => {
    const s = await sim({ processingMs: 60_000 });
    const { id } = await createPayment(s);
    const waiting = s.control.pay(id, { wait: true });
    await api(s).get("/v1/external/chains", none);
    await s.close();
    await expect(waiting).resolves.toMatchObject({ status: "processing" });
    await expect(fetch(`${s.url}/v1/external/chains`)).rejects.toThrow();
  });
});
