/** BatchMatMul and _FusedMatMul on oneDNN's SGEMM. */
import * as tf from '@tensorflow/tfjs';
import type { OnednnAddon } from '../addon.js';
import { FUSED_ACTIVATION } from '../op-codes.js';
import { allFloat32, alloc, type KernelArgs, type NativeKernel, output, sizeOf, values } from './native.js';

interface Gemm {
  outShape: number[];
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  tA: boolean;
  tB: boolean;
}

/** Same geometry and batch-broadcast rule as the cpu kernel (batch index modulo each side's size). */
function gemmShape(aShape: number[], bShape: number[], tA: boolean, tB: boolean): Gemm {
  const ra = aShape.length,
    rb = bShape.length;
  const k = tA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const kB = tB ? bShape[rb - 1]! : bShape[rb - 2]!;
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${aShape} and ${bShape} and transposeA=${tA} and transposeB=${tB} must match.`,
    );
  }
  const m = tA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const n = tB ? bShape[rb - 2]! : bShape[rb - 1]!;
  const outer = tf.backend_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  return {
    outShape: [...outer, m, n],
    batchA: sizeOf(aShape.slice(0, -2)),
    batchB: sizeOf(bShape.slice(0, -2)),
    m,
    n,
    k,
    tA,
    tB,
  };
}

function run(args: KernelArgs, addon: OnednnAddon, bias: Float32Array | null, activation: number) {
  const { a, b } = args.inputs;
  if (!a || !b || !allFloat32(a, b)) return undefined;
  const g = gemmShape(a.shape, b.shape, Boolean(args.attrs?.transposeA), Boolean(args.attrs?.transposeB));
  // The native loop runs max(batchA, batchB) products: right when one side's batch is 1 or both are
  // equal, not when each side broadcasts along another axis ([2,1] by [1,3] makes 6). The cpu path does those.
  if (sizeOf(g.outShape.slice(0, -2)) !== Math.max(g.batchA, g.batchB)) return undefined;
  const out = alloc(args.backend, sizeOf(g.outShape));
  const [va, vb] = [values(args.backend, a), values(args.backend, b)];
  addon.fusedMatMul(va, vb, out, g.batchA, g.batchB, g.m, g.n, g.k, g.tA, g.tB, bias, activation);
  return output(args.backend, g.outShape, out);
}

export const batchMatMul: NativeKernel = (args, addon) => run(args, addon, null, FUSED_ACTIVATION.linear);

/** Bias must broadcast along rows (size n) or match the output; other layouts take the cpu path. */
export const fusedMatMul: NativeKernel = (args, addon) => {
  const { a, b, bias } = args.inputs;
  const act = FUSED_ACTIVATION[(args.attrs?.activation ?? 'linear') as keyof typeof FUSED_ACTIVATION];
  if (act === undefined || !a || !b || !allFloat32(bias)) return undefined;
  if (bias) {
    const n = args.attrs?.transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const rowBias = sizeOf(bias.shape) === n && bias.shape[bias.shape.length - 1] === n;
    if (!rowBias) return undefined;
  }
  return run(args, addon, bias ? values(args.backend, bias) : null, act);
};
