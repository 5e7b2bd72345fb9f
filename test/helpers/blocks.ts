import { makeRng } from '../../src/util/random.js';

/** A tiny learnable problem: the class is which 4×4 quadrant block of an 8×8 image is brightest. */
export function blocks(count: number, seed: number) {
  const rng = makeRng(seed);
  const images = new Float32Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(rng() * 4);
    labels[i] = label;
    for (let p = 0; p < 64; p++) {
      const quadrant = (Math.floor(p / 8) >= 4 ? 2 : 0) + (p % 8 >= 4 ? 1 : 0);
      images[i * 64 + p] = rng() * 0.5 + (quadrant === label ? 0.5 : 0);
    }
  }
  return { images, labels, count };
}
