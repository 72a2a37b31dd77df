// Seeded pseudo-random streams: sample data, ids and fault probabilities are reproducible from one seed.
// Not for secrets; payment secrets come from node:crypto.

/** A deterministic random source (sfc32 seeded through a string hash, so each label gets its own stream). */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** `n` lowercase hex characters. */
  hex(n: number): string;
  /** An RFC 4122 version-4 UUID. */
  uuid(): string;
  pick<T>(items: readonly T[]): T;
  /** Where the stream stands, so a saved simulator can continue it (createRng's `from`). */
  state(): [number, number, number, number];
}

/** Creates the stream for `label` under `seed`; the same pair always yields the same sequence. */
export function createRng(seed: number, label: string, from?: readonly number[]): Rng {
  let [a, b, c, d] = hashSeed(`${seed}:${label}`);
  const next32 = (): number => {
    // sfc32: small, fast, and good enough for simulation data.
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next32();
  if (from) [a, b, c, d] = from as [number, number, number, number];
  const hex = (n: number): string => {
    let out = "";
    while (out.length < n) out += next32().toString(16).padStart(8, "0");
    return out.slice(0, n);
  };
  return {
    next: () => next32() / 4294967296,
    int: (min, max) => min + Math.floor((next32() / 4294967296) * (max - min + 1)),
    hex,
    uuid: () => {
      const h = hex(32);
      const variant = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor((next32() / 4294967296) * items.length)] as (typeof items)[number];
    },
  };
}

function hashSeed(text: string): [number, number, number, number] {
  // cyrb128: spreads a short string over 128 bits of state.
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}
