/** Kernel name → native implementation. Every other cpu kernel is registered for 'onednn' unchanged. */
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, fusedConv2d } from './conv.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { batchMatMul, fusedMatMul } from './matmul.js';
import type { NativeKernel } from './native.js';
import { maxPool, maxPoolGrad } from './pool.js';
import { REDUCE_KERNELS } from './reduce.js';
import { fusedBatchNorm, softmax, step, tile } from './shape.js';

export const NATIVE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  FusedBatchNorm: fusedBatchNorm,
  Softmax: softmax,
  Step: step,
  Tile: tile,
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
};
