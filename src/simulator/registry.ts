// The chain and token registry the simulator serves, with its fixed USD rates (the simulator has no
// price feed: ETH is $3,000.00 and stablecoins $1.00, so quotes are reproducible).
import type { WireChain, WireToken } from "../spacepay/wire.js";

export const NATIVE_ADDRESS = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface TokenEntry {
  dto: WireToken;
  /** USD price in integer cents, the only rate quotes and receipts use. */
  rateCents: bigint;
}

const chains: WireChain[] = [
  chain("eip155:84532", "Base Sepolia", true),
  chain("eip155:11155111", "Ethereum Sepolia", true),
  chain("eip155:8453", "Base", false),
  chain("eip155:1", "Ethereum", false),
];

function chain(chainId: string, name: string, isTestnet: boolean): WireChain {
  return { chainId, name, nativeSymbol: "ETH", nativeDecimals: 18, isEnabled: true, isTestnet };
}

// Token ids are fixed so clients and tests can hard-code them.
const tokenRows: Array<[id: string, chainId: string, symbol: string, contract: string]> = [
  ["7b1f0a51-0001-4000-8000-000000084532", "eip155:84532", "ETH", NATIVE_ADDRESS],
  [
    "7b1f0a51-0002-4000-8000-000000084532",
    "eip155:84532",
    "USDC",
    "0x00fc61d7de7655db3984db634e3489130ebeacf6",
  ],
  [
    "7b1f0a51-0003-4000-8000-000000084532",
    "eip155:84532",
    "USDT",
    "0xe290136a17a1804d4e538bd747b7a48d1a44a629",
  ],
  ["7b1f0a51-0001-4000-8000-000011155111", "eip155:11155111", "ETH", NATIVE_ADDRESS],
  [
    "7b1f0a51-0002-4000-8000-000011155111",
    "eip155:11155111",
    "USDC",
    "0xcae5e5b4a5dd769b021f9f93257b44b0742f77d3",
  ],
  [
    "7b1f0a51-0003-4000-8000-000011155111",
    "eip155:11155111",
    "USDT",
    "0xd14fce5bc55861c3b71bdea38d22590df8666dbc",
  ],
  ["7b1f0a51-0001-4000-8000-000000008453", "eip155:8453", "ETH", NATIVE_ADDRESS],
  [
    "7b1f0a51-0002-4000-8000-000000008453",
    "eip155:8453",
    "USDC",
    "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
  ],
  [
    "7b1f0a51-0003-4000-8000-000000008453",
    "eip155:8453",
    "USDT",
    "0xfde4c96c8593536e31f229ea8f37b2ada2699bb2",
  ],
  ["7b1f0a51-0001-4000-8000-000000000001", "eip155:1", "ETH", NATIVE_ADDRESS],
  ["7b1f0a51-0002-4000-8000-000000000001", "eip155:1", "USDC", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"],
  ["7b1f0a51-0003-4000-8000-000000000001", "eip155:1", "USDT", "0xdac17f958d2ee523a2206206994597c13d831ec7"],
];

const tokens: TokenEntry[] = tokenRows.map(([id, chainId, symbol, contractAddress]) => {
  const native = symbol === "ETH";
  const dto: WireToken = {
    id,
    coingeckoApiId: native ? "ethereum" : symbol === "USDC" ? "usd-coin" : "tether",
    chain: chainById(chainId) as WireChain,
    symbol,
    contractAddress,
    decimals: native ? 18 : 6,
    type: native ? "volatile" : "stablecoin",
    assetType: native ? "native" : "erc20",
    status: "active",
    tokenPriceUsd: native ? 3000 : 1,
  };
  return { dto, rateCents: native ? 300_000n : 100n };
});

/** Quotes default to USDC on Base Sepolia, as the task's testnet setup expects. */
export const DEFAULT_CHAIN_ID = "eip155:84532";
export const DEFAULT_WITHDRAWAL_SYMBOL = "USDC";

export function listChains(): readonly WireChain[] {
  return chains;
}

export function chainById(chainId: string): WireChain | undefined {
  return chains.find((c) => c.chainId === chainId);
}

export function listTokens(): readonly TokenEntry[] {
  return tokens;
}

export function tokenById(id: string): TokenEntry | undefined {
  return tokens.find((t) => t.dto.id === id);
}

/** The native token is `0xeee…e` in the registry and `0x000…0` in older examples: both mean native. */
export function sameContract(a: string, b: string): boolean {
  const norm = (s: string): string => {
    const l = s.toLowerCase();
    return l === ZERO_ADDRESS ? NATIVE_ADDRESS : l;
  };
  return norm(a) === norm(b);
}

export function tokenOn(chainId: string, contractAddress: string): TokenEntry | undefined {
  return tokens.find(
    (t) => t.dto.chain.chainId === chainId && sameContract(t.dto.contractAddress, contractAddress),
  );
}

export function tokenBySymbol(chainId: string, symbol: string): TokenEntry | undefined {
  const s = symbol.toUpperCase();
  return tokens.find((t) => t.dto.chain.chainId === chainId && t.dto.symbol === s);
}

/** The token used when a quote names a chain but no contract, and for withdrawals and balances. */
export function defaultTokenOn(chainId: string): TokenEntry | undefined {
  return tokenBySymbol(chainId, DEFAULT_WITHDRAWAL_SYMBOL);
}
