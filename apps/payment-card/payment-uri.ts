// What the payment card's QR code encodes when there is no hosted payment link: the active quote as an
// EIP-681 payment request a wallet can scan (EVM chains only): the token contract, the chain id, the
// deposit address and the exact amount in the token's smallest unit.
import type { QuoteView } from "../../src/server/render.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NATIVE = /^0x0{40}$/;

/** The quote as an EIP-681 URI, or null when it cannot be one (not EVM, no address, no exact amount). */
export function eip681(q: QuoteView): string | null {
  const chain = /^eip155:([1-9][0-9]*)$/.exec(q.chainId)?.[1];
  // Values from the API are data: only well-formed ones become a URI a wallet acts on.
  if (
    !chain ||
    !q.depositAddress ||
    !ADDRESS.test(q.depositAddress) ||
    !/^[0-9]+$/.test(q.expectedAmountAsset)
  )
    return null;
  const amount = BigInt(q.expectedAmountAsset).toString();
  // The chain's own coin has no contract: a plain value transfer to the deposit address.
  if (!q.contractAddress || NATIVE.test(q.contractAddress))
    return `ethereum:${q.depositAddress}@${chain}?value=${amount}`;
  if (!ADDRESS.test(q.contractAddress)) return null;
  return `ethereum:${q.contractAddress}@${chain}/transfer?address=${q.depositAddress}&uint256=${amount}`;
}
