/**
 * Cross-checks a computation between two backends on the same seeded inputs: the forward result
 * and, optionally, the gradient with respect to every input. Used by the kernel tests.
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../src/util/random.js';

/** Deterministic floats in [lo, hi), so a failing case can be replayed exactly. */
export function seededFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => lo + rng() * (hi - lo));
}

export type Computation = (...xs: tf.Tensor[]) => tf.Tensor;
export interface CheckInput {
  shape: number[];
  lo?: number;
  hi?: number;
}

/** max |a-b| / max |a|: one number per result, insensitive to where the big values are. */
export function relativeError(ref: Float32Array | number[], got: Float32Array | number[]): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ref[i]! - got[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return ref.length !== got.length ? Infinity : diff / Math.max(scale, 1e-30);
}

async function runOn(backend: string, fn: Computation, inputs: CheckInput[], seed: number, grads: boolean) {
  await tf.setBackend(backend);
  const results: Float32Array[] = [];
  // Nothing is returned from the tidy: it would walk a returned array's every float looking for
  // tensors (~0.8 s for the CNN head's 600k).
  tf.tidy(() => {
    const xs = inputs.map((inp, i) =>
      tf.tensor(seededFloats(tf.util.sizeFromShape(inp.shape), seed + i, inp.lo, inp.hi), inp.shape),
    );
    const y = fn(...xs);
    results.push(y.dataSync() as Float32Array);
    if (grads) {
      // A random cotangent makes every output element matter to the gradient.
      const r = tf.tensor(seededFloats(y.size, seed + 1000), y.shape);
      const dxs = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(fn(...args), r)))(xs);
      results.push(...dxs.map((d) => d.dataSync() as Float32Array));
    }
  });
  return results;
}

/** Relative error of each result on `test` against `reference`: [forward, d/dx0, d/dx1, ...]. */
export async function crossCheck(
  fn: Computation,
  inputs: CheckInput[],
  options: { grads?: boolean; seed?: number; reference?: string; test?: string } = {},
): Promise<number[]> {
  const { grads = false, seed = 1, reference = 'cpu', test = 'onednn' } = options;
  const previous = tf.getBackend();
  const ref = await runOn(reference, fn, inputs, seed, grads);
  const got = await runOn(test, fn, inputs, seed, grads);
  if (previous) await tf.setBackend(previous); // undefined until some backend was first used
  return ref.map((r, i) => relativeError(r, got[i] ?? []));
}
