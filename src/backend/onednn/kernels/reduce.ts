/** Sum, Mean, Max, Min over a contiguous block of axes; other axis sets take the cpu path. */
import * as tf from '@tensorflow/tfjs';
import { REDUCE } from '../op-codes.js';
import { allFloat32, alloc, type NativeKernel, output, sizeOf, values } from './native.js';

/** [outer, reduce, inner] when the reduced axes are neighbours, e.g. axes [0,1,2] of NHWC → [1, N·H·W, C]. */
export function reductionView(shape: number[], axes: number[]): [number, number, number] | undefined {
  const sorted = [...axes].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((a, i) => i > 0 && a !== sorted[i - 1]! + 1)) return undefined;
  const first = sorted[0]!,
    last = sorted[sorted.length - 1]!;
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}

function reduction(code: number): NativeKernel {
  return ({ inputs, backend, attrs }, addon) => {
    const { x } = inputs;
    if (!x || !allFloat32(x)) return undefined;
    // Max names its axes `reductionIndices`; Sum, Mean and Min call them `axis`.
    const axes = tf.util.parseAxisParam((attrs?.axis ?? attrs?.reductionIndices) as number | number[], x.shape);
    const view = reductionView(x.shape, axes);
    if (!view || view[1] === 0) return undefined;
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const outShape = attrs?.keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
    const out = alloc(backend, view[0] * view[2]);
    addon.reduce(code, values(backend, x), out, view[0], view[1], view[2]);
    return output(backend, outShape, out);
  };
}

export const REDUCE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  Sum: reduction(REDUCE.sum),
  Mean: reduction(REDUCE.mean),
  Max: reduction(REDUCE.max),
  Min: reduction(REDUCE.min),
};
