/**
 * Kernel name → native implementation. Every other cpu kernel is registered for 'onednn' unchanged.
 * ACCELERATED_KERNELS are the backend-neutral layer kernels (src/accelerated), all native here.
 */
import {
  ACTIVATION_GRAD,
  type AcceleratedKernelName,
  ADAM_UPDATE,
  BATCH_NORM_GRAD,
  BATCH_NORM_TRAIN,
  CONV2D,
  DENSE,
} from '../../../accelerated/index.js';
import { activationGrad } from './activation-grad.js';
import { adamUpdate } from './adam.js';
import { batchNormGrad, batchNormTrain } from './batch-norm.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, fusedConv2d } from './conv.js';
import { conv2dLayer } from './conv2d.js';
import { dense } from './dense.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { batchMatMul, fusedMatMul } from './matmul.js';
import type { AcceleratedKernel, NativeKernel } from './native.js';
import { maxPool, maxPoolGrad } from './pool.js';
import { REDUCE_KERNELS } from './reduce.js';
import { fusedBatchNorm, gather, softmax, step, tile } from './shape.js';

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
  GatherV2: gather,
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
};

export const ACCELERATED_KERNELS: Readonly<Record<AcceleratedKernelName, AcceleratedKernel>> = {
  [DENSE]: dense,
  [CONV2D]: conv2dLayer,
  [BATCH_NORM_TRAIN]: batchNormTrain,
  [BATCH_NORM_GRAD]: batchNormGrad,
  [ACTIVATION_GRAD]: activationGrad,
  [ADAM_UPDATE]: adamUpdate,
};
