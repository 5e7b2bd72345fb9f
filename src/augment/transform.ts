import type { AugmentSpec } from '../config/augment.js';
import { deriveSeed, makeRng } from '../util/random.js';
import { type Affine, isIdentity } from './matrix.js';
import { drawParams, paramsMatrix } from './params.js';

export type { Affine } from './matrix.js';

/** How source points outside the image are filled, with Keras's meanings (cval k, image abcd). */
export interface Fill {
  /** constant: kkkk|abcd|kkkk, nearest: aaaa|abcd|dddd, reflect: dcba|abcd|dcba, wrap: abcd|abcd|abcd. */
  mode: AugmentSpec['fillMode'];
  cval: number;
}

/** The in-range index that `i` reads under `mode`; constant clamps (its caller handles the outside). */
function sourceIndex(i: number, n: number, mode: Fill['mode']): number {
  if (mode === 'wrap') return ((i % n) + n) % n;
  if (mode === 'reflect') {
    const j = ((i % (2 * n)) + 2 * n) % (2 * n); // period 2n: the edge pixel repeats, as d|d in dcba|abcd
    return j < n ? j : 2 * n - 1 - j;
  }
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/**
 * Bilinear sample at (sr, sc) where a neighbour lies outside the image. Constant mode follows
 * scipy's order-1 'constant' (which Keras calls): a point outside [0, n-1] is cval, one inside
 * interpolates the image alone, so a shifted digit keeps a crisp edge rather than a cval blend.
 */
function sampleOutside(src: Float32Array, rows: number, cols: number, sr: number, sc: number, fill: Fill): number {
  if (fill.mode === 'constant' && (sr < 0 || sr > rows - 1 || sc < 0 || sc > cols - 1)) return fill.cval;
  const r0 = Math.floor(sr);
  const c0 = Math.floor(sc);
  const fr = sr - r0;
  const fc = sc - c0;
  const ra = sourceIndex(r0, rows, fill.mode) * cols;
  const rb = sourceIndex(r0 + 1, rows, fill.mode) * cols;
  const ca = sourceIndex(c0, cols, fill.mode);
  const cb = sourceIndex(c0 + 1, cols, fill.mode);
  const top = src[ra + ca]! + (src[ra + cb]! - src[ra + ca]!) * fc;
  const bottom = src[rb + ca]! + (src[rb + cb]! - src[rb + ca]!) * fc;
  return top + (bottom - top) * fr;
}

/**
 * Resamples one rows×cols image: every output pixel (r, c) reads the source at `matrix`·(r, c)
 * with bilinear interpolation (scipy's order=1). Interior points take a branch-light path over the
 * four neighbours; only points near or past the border pay for the fill mode. Allocates nothing.
 */
export function affineTransform(
  src: Float32Array,
  rows: number,
  cols: number,
  matrix: Affine,
  fill: Fill,
  out: Float32Array,
): Float32Array {
  const [a, b, c, d, e, f] = matrix;
  for (let r = 0; r < rows; r++) {
    const rowBase = r * cols;
    const sr0 = a * r + c;
    const sc0 = d * r + f;
    for (let col = 0; col < cols; col++) {
      // Each point is computed afresh, not accumulated, so quarter turns land on exact integers.
      const sr = sr0 + b * col;
      const sc = sc0 + e * col;
      if (sr >= 0 && sr < rows - 1 && sc >= 0 && sc < cols - 1) {
        const r0 = sr | 0; // truncation is floor here: the point is non-negative and in range
        const c0 = sc | 0;
        const fr = sr - r0;
        const fc = sc - c0;
        const i = r0 * cols + c0;
        const top = src[i]! + (src[i + 1]! - src[i]!) * fc;
        const bottom = src[i + cols]! + (src[i + cols + 1]! - src[i + cols]!) * fc;
        out[rowBase + col] = top + (bottom - top) * fr;
      } else {
        out[rowBase + col] = sampleOutside(src, rows, cols, sr, sc, fill);
      }
    }
  }
  return out;
}

export type Augmenter = (images: Float32Array, count: number, epoch: number, batch: number) => Float32Array;

/**
 * The training loop's `transformBatch`: a fresh random transformation per image. The random stream
 * is derived from (seed, epoch, batch) alone, so a run is reproducible and a batch's augmentation
 * does not depend on which batches ran before it. Returns a new array; the input is left untouched.
 */
export function makeAugmenter(spec: AugmentSpec, seed: number, rows: number, cols: number): Augmenter {
  const fill: Fill = { mode: spec.fillMode, cval: spec.cval };
  const size = rows * cols;
  return (images, count, epoch, batch) => {
    if (images.length !== count * size) {
      throw new Error(
        `augment: expected ${count} images of ${rows}x${cols} (${count * size} values), received ${images.length} values`,
      );
    }
    const rng = makeRng(deriveSeed(seed, `augment/${epoch}/${batch}`));
    const out = new Float32Array(images.length);
    for (let i = 0; i < count; i++) {
      const matrix = paramsMatrix(drawParams(spec, rng, rows, cols), rows, cols);
      const src = images.subarray(i * size, (i + 1) * size);
      if (isIdentity(matrix)) out.set(src, i * size);
      else affineTransform(src, rows, cols, matrix, fill, out.subarray(i * size, (i + 1) * size));
    }
    return out;
  };
}
