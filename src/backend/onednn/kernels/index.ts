/** Kernel name → native implementation. Every other cpu kernel is registered for 'onednn' unchanged. */
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, fusedConv2d } from './conv.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { batchMatMul, fusedMatMul } from './matmul.js';
import type { NativeKernel } from './native.js';

export const NATIVE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  ...ELEMENTWISE_KERNELS,
};
