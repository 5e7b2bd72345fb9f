/** Binary (broadcasting) and unary elementwise kernels. */
import * as tf from '@tensorflow/tfjs';
import type { OnednnAddon } from '../addon.js';
import { BINARY, UNARY } from '../op-codes.js';
import { allFloat32, alloc, type KernelArgs, type NativeKernel, output, sizeOf, values } from './native.js';

/** Row-major element strides of `shape` placed in a rank-`rank` output, 0 where it broadcasts. */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const rank = outShape.length;
  const padded = [...Array<number>(rank - shape.length).fill(1), ...shape];
  const strides = new Array<number>(rank).fill(0);
  let step = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 && outShape[d] !== 1 ? 0 : step;
    step *= padded[d]!;
  }
  return strides;
}

/**
 * Merges neighbouring axes that both inputs walk the same way (both contiguous or both
 * broadcast), so the native loop sees one long inner run: [64,26,26,32] + [32] becomes [43264,32].
 */
export function collapseBroadcast(outShape: number[], aShape: number[], bShape: number[]) {
  const sa = broadcastStrides(aShape, outShape),
    sb = broadcastStrides(bShape, outShape);
  const shape: number[] = [],
    stA: number[] = [],
    stB: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d]!;
    if (size === 1) continue;
    const last = shape.length - 1;
    const mergeable = last >= 0 && stA[last] === sa[d]! * size && stB[last] === sb[d]! * size;
    if (mergeable) {
      shape[last] = shape[last]! * size;
      stA[last] = sa[d]!;
      stB[last] = sb[d]!;
    } else {
      shape.push(size);
      stA.push(sa[d]!);
      stB.push(sb[d]!);
    }
  }
  if (shape.length === 0) return { shape: [1], stA: [1], stB: [1] };
  return { shape, stA, stB };
}

function binary(code: number): NativeKernel {
  return ({ inputs, backend }: KernelArgs, addon: OnednnAddon) => {
    const { a, b } = inputs;
    if (!a || !b || !allFloat32(a, b)) return undefined;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = alloc(backend, sizeOf(outShape));
    if (out.length === 0) return output(backend, outShape, out);
    const { shape, stA, stB } = collapseBroadcast(outShape, a.shape, b.shape);
    addon.binary(code, values(backend, a), values(backend, b), out, shape, stA, stB);
    return output(backend, outShape, out);
  };
}

function unary(code: number, alpha = 0, beta = 0): NativeKernel {
  return ({ inputs, backend }: KernelArgs, addon: OnednnAddon) => {
    const { x } = inputs;
    if (!x || !allFloat32(x)) return undefined;
    const out = alloc(backend, sizeOf(x.shape));
    addon.unary(code, alpha, beta, values(backend, x), out);
    return output(backend, x.shape, out);
  };
}

export const ELEMENTWISE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  Add: binary(BINARY.add),
  Sub: binary(BINARY.sub),
  Multiply: binary(BINARY.mul),
  RealDiv: binary(BINARY.div),
  Maximum: binary(BINARY.max),
  Minimum: binary(BINARY.min),
  SquaredDifference: binary(BINARY.squaredDifference),
  Relu: unary(UNARY.relu),
  Sigmoid: unary(UNARY.sigmoid),
  Exp: unary(UNARY.exp),
  Log: unary(UNARY.log),
  Tanh: unary(UNARY.tanh),
  Sqrt: unary(UNARY.sqrt),
  Square: unary(UNARY.square),
  Abs: unary(UNARY.abs),
  Neg: unary(UNARY.linear, -1, 0),
};
