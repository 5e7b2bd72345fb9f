/**
 * Seeded randomness. One config seed feeds named sub-seeds (init, shuffle, dropout, augment, split),
 * so changing how one consumer draws numbers never shifts another's stream.
 */

/** A 32-bit sub-seed for `label`, derived from `seed` by FNV-1a over the label, mixed with the seed. */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/**
 * mulberry32: a small, fast generator of floats in [0, 1); good enough for shuffling and dropout
 * masks. Its whole state is one 32-bit word, so a checkpoint can record where a stream stands.
 */
export class Mulberry32 {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  readonly next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeRng(seed: number): () => number {
  return new Mulberry32(seed).next;
}

/** Fisher–Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, rng: () => number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/**
 * Runs `fn` with Math.random drawn from `rng`. tfjs draws unseeded random ops (Dropout's masks) from
 * seedrandom seeded by Math.random, and a fixed per-layer seed would repeat the same mask every
 * step; seeding Math.random keeps masks fresh per step yet reproducible per run, and `rng.state`
 * says where the stream stands (a checkpoint records it, a resumed run sets it back).
 */
export async function withMathRandom<T>(rng: Mulberry32, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = rng.next;
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}

/** withMathRandom on a fresh stream from `seed`. */
export function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  return withMathRandom(new Mulberry32(seed), fn);
}
