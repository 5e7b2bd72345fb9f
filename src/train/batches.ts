import * as tf from '@tensorflow/tfjs';
import { oneHot } from '../data/dataset.js';

/** A split as the trainer sees it: flat pixels and class labels, `count` samples of `sampleShape`. */
export interface Samples {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export type LabelFormat = 'oneHot' | 'sparse';

/**
 * Copies the samples at `order[start..end)` into one contiguous batch: into `reuse` when it has
 * exactly the batch's length, else a new array. A fresh 400 KB array (the ANNs' batch of 128) costs
 * more than the copy (page faults on first write, then garbage to collect): 0.56 ms a batch of the
 * ann-seed epoch's 6.4 ms, measured with --cpu-prof.
 */
export function gatherImages(
  s: Samples,
  order: ArrayLike<number>,
  start: number,
  end: number,
  size: number,
  reuse?: Float32Array,
): Float32Array {
  const length = (end - start) * size;
  const out = reuse?.length === length ? reuse : new Float32Array(length);
  const images = s.images;
  for (let i = start; i < end; i++) {
    const from = order[i]! * size;
    out.set(images.subarray(from, from + size), (i - start) * size);
  }
  return out;
}

/** Labels as the loss wants them: one-hot [n, classes], or class indices [n, 1] for the sparse losses. */
export function labelTensor(labels: Uint8Array, numClasses: number, format: LabelFormat): tf.Tensor {
  const n = labels.length;
  if (format === 'sparse') return tf.tensor2d(Float32Array.from(labels), [n, 1]);
  return tf.tensor2d(oneHot(labels, numClasses), [n, numClasses]);
}

export function gatherLabels(s: Samples, order: ArrayLike<number>, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = s.labels[order[i]!]!;
  return out;
}

export const identityOrder = (n: number) => {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
};
