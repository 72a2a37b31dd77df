// Chain references: users and the API name chains by number, CAIP-2 string or name; everything
// internal is CAIP-2. Also knows which token contracts mean "the chain's native coin", and what a
// valid EVM address is (shape and EIP-55 checksum).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export interface KnownChain {
  /** CAIP-2, e.g. "eip155:8453". */
  caip2: string;
  name: string;
  /** Lowercase aliases accepted by toCaip2 (the first is the canonical slug). */
  aliases: readonly string[];
  nativeSymbol: string;
  nativeDecimals: number;
  isTestnet: boolean;
}

const evm = (
  id: number,
  name: string,
  aliases: string[],
  nativeSymbol: string,
  isTestnet: boolean,
): KnownChain => ({ caip2: `eip155:${id}`, name, aliases, nativeSymbol, nativeDecimals: 18, isTestnet });

/** Chains known by name. Others are still accepted by number or CAIP-2. */
export const KNOWN_CHAINS: readonly KnownChain[] = [
  evm(1, "Ethereum", ["ethereum", "mainnet", "eth"], "ETH", false),
  evm(11155111, "Ethereum Sepolia", ["sepolia", "ethereum-sepolia"], "ETH", true),
  evm(8453, "Base", ["base"], "ETH", false),
  evm(84532, "Base Sepolia", ["base-sepolia"], "ETH", true),
  evm(137, "Polygon", ["polygon", "matic"], "POL", false),
  evm(80002, "Polygon Amoy", ["polygon-amoy", "amoy"], "POL", true),
  evm(42161, "Arbitrum One", ["arbitrum", "arbitrum-one"], "ETH", false),
  evm(421614, "Arbitrum Sepolia", ["arbitrum-sepolia"], "ETH", true),
  evm(10, "Optimism", ["optimism", "op"], "ETH", false),
  evm(11155420, "Optimism Sepolia", ["optimism-sepolia", "op-sepolia"], "ETH", true),
  evm(56, "BNB Smart Chain", ["bsc", "bnb"], "BNB", false),
  evm(43114, "Avalanche C-Chain", ["avalanche", "avax"], "AVAX", false),
];

const byAlias = new Map<string, KnownChain>();
const byCaip2 = new Map<string, KnownChain>();
for (const c of KNOWN_CHAINS) {
  byCaip2.set(c.caip2, c);
  for (const a of c.aliases) byAlias.set(a, c);
}

// CAIP-2: namespace [-a-z0-9]{3,8}, reference [-_a-zA-Z0-9]{1,32}.
const CAIP2 = /^([-a-z0-9]{3,8}):([-_a-zA-Z0-9]{1,32})$/;

export class ChainRefError extends Error {
  override name = "ChainRefError";
}

/** Any chain reference (84532, "84532", "eip155:84532", "base-sepolia") as CAIP-2; throws on anything else. */
export function toCaip2(ref: string | number): string {
  if (typeof ref === "number") {
    if (Number.isSafeInteger(ref) && ref > 0) return `eip155:${ref}`;
    throw chainError(String(ref));
  }
  // The common case, an answer's own canonical id of a known chain, is already what the rules below make.
  if (byCaip2.has(ref)) return ref;
  const s = ref.trim();
  if (/^[0-9]+$/.test(s) && Number(s) > 0) return `eip155:${BigInt(s).toString()}`;
  const lower = s.toLowerCase();
  const known = byAlias.get(lower);
  if (known) return known.caip2;
  const m = CAIP2.exec(lower);
  if (m) {
    // EVM references are decimal chain ids; normalise away leading zeros.
    if (m[1] === "eip155") {
      if (!/^[0-9]+$/.test(m[2]!) || BigInt(m[2]!) === 0n) throw chainError(s);
      return `eip155:${BigInt(m[2]!).toString()}`;
    }
    return `${m[1]}:${s.slice(m[1]!.length + 1)}`;
  }
  throw chainError(s);
}

function chainError(value: string): ChainRefError {
  const names = KNOWN_CHAINS.map((c) => c.aliases[0]).join(", ");
  return new ChainRefError(
    `unknown chain "${value.slice(0, 64)}": use a numeric chain id (84532), a CAIP-2 id ("eip155:84532") or a name (${names})`,
  );
}

/** Like toCaip2, but returns null instead of throwing (for lenient response parsing). */
export function tryCaip2(ref: unknown): string | null {
  if (typeof ref !== "string" && typeof ref !== "number") return null;
  try {
    return toCaip2(ref);
  } catch {
    return null;
  }
}

/** The chain's display name when known, else the CAIP-2 id itself. */
export function chainName(caip2: string): string {
  return knownChain(caip2)?.name ?? caip2;
}

export function knownChain(ref: string | number): KnownChain | undefined {
  const id = tryCaip2(ref);
  return id ? byCaip2.get(id) : undefined;
}

const NATIVE_ZERO = "0x" + "0".repeat(40);
const NATIVE_EEE = "0x" + "e".repeat(40);

/** True for the two spellings of "native coin" (0x000…0 in examples, 0xeee…e in the registry). */
export function isNativeContract(address: string | null | undefined): boolean {
  if (!address) return false;
  const a = address.trim().toLowerCase();
  return a === NATIVE_ZERO || a === NATIVE_EEE;
}

/** The shape of an EVM address: 0x followed by 40 hex digits, any case. The one definition. */
export const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** True for 0x followed by 40 hex digits (any case; see evmAddressProblem for the checksum). */
export function isEvmAddress(address: string): boolean {
  return EVM_ADDRESS.test(address);
}

/** The EIP-55 spelling of an EVM address: a letter is upper case where its hash nibble is 8 or more. */
export function toChecksumAddress(address: string): string {
  const hex = address.slice(2).toLowerCase();
  const hash = bytesToHex(keccak_256(utf8ToBytes(hex)));
  let out = "0x";
  for (let i = 0; i < hex.length; i++) out += parseInt(hash[i]!, 16) >= 8 ? hex[i]!.toUpperCase() : hex[i];
  return out;
}

/**
 * Why `address` cannot be a recipient, or null. All lower or all upper case carries no checksum;
 * mixed case is an EIP-55 checksum and must match, since a typo in a mixed-case address would
 * otherwise send funds to an address nobody holds.
 */
export function evmAddressProblem(address: string): string | null {
  if (!isEvmAddress(address)) return "must be an EVM address: 0x followed by 40 hex characters";
  const hex = address.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return null;
  return toChecksumAddress(address) === address
    ? null
    : "has mixed case but a wrong EIP-55 checksum, so it may hold a typo: check it with the user";
}
