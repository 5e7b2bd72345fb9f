/** A conv2d layer's forward: convolution + bias + relu in one native call (conv.ts's fused path). */
import { CONV2D } from '../../../accelerated/index.js';
import { fusedConv2d } from './conv.js';
import type { AcceleratedKernel } from './native.js';

export const conv2dLayer: AcceleratedKernel = (args, addon) => {
  const result = fusedConv2d(args, addon);
  if (!result) throw new Error(`${CONV2D}: unsupported arguments`); // conv2dForward only sends covered cases
  return result;
};
