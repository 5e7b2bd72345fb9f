import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { relativeError, seededFloats } from './cross-check.js';

/** The same number of arrays, each within `tol` relative error of its reference. */
export function expectAllClose(ref: (Float32Array | number[])[], got: (Float32Array | number[])[], tol: number): void {
  expect(got).toHaveLength(ref.length);
  for (let i = 0; i < ref.length; i++) expect(relativeError(ref[i]!, got[i]!)).toBeLessThanOrEqual(tol);
}

/** How many times `kernelName` runs on the active backend during `f`. */
export async function countKernel(kernelName: string, f: () => Promise<unknown>): Promise<number> {
  const backendName = tf.getBackend();
  const config = tf.getKernel(kernelName, backendName)!;
  let calls = 0;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      calls++;
      return config.kernelFunc(args);
    },
  });
  try {
    await f();
  } finally {
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(config);
  }
  return calls;
}

/**
 * Three Adam steps (lr 0.05, MSE) of a sequential model of `layers` on fixed seeded data, on
 * `backend`; returns every weight by name. x is drawn from [xLo, xHi).
 */
export async function trainThreeSteps(
  backend: string,
  layers: () => tf.layers.Layer[],
  data: { x: number[]; y: number[]; xLo?: number; xHi?: number },
): Promise<{ name: string; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const seeded = (shape: number[], seed: number, lo = -1, hi = 1) =>
    tf.tensor(seededFloats(tf.util.sizeFromShape(shape), seed, lo, hi), shape);
  const model = tf.sequential({ layers: layers() });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
  const [x, y] = [seeded(data.x, 5, data.xLo, data.xHi), seeded(data.y, 6)];
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
  const weights = model.weights.map((w) => ({ name: w.originalName, values: w.read().dataSync() as Float32Array }));
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}
