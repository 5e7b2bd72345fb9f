/**
 * A conv2d layer's forward (convolution + bias + relu in one kernel call) with a gradient whose
 * parts are computed only when asked for. tfjs's fused conv2d is a customGrad that always computes
 * all three, including the gradient for the layer's input — for a model's first layer that is the
 * gradient for the images (a whole backward-data convolution, ~6% of the notebook CNN's step).
 * The layer (src/model/conv2d.ts) calls `conv2dForward` when the backend has the CONV2D kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { throughActivation } from './activation.js';
import { CONV2D, type Conv2DAttrs, hasKernel, runKernel } from './kernels.js';

export const CONV2D_GRADIENT: Parameters<typeof tf.registerGradient>[0] = {
  kernelName: CONV2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, activation } = attrs as unknown as Conv2DAttrs;
    const g = throughActivation(dy as tf.Tensor, y, activation); // once, shared by the three parts
    const conv = { strides, pad, dataFormat: 'NHWC', dilations: 1 };
    return {
      x: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
      filter: () =>
        tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy: g }, { ...conv, filterShape: filter.shape }) as tf.Tensor,
      bias: () => tf.sum(g, [0, 1, 2]),
    };
  },
};

/** NHWC convolution, dilation 1, + bias, then `activation`; differentiable in all three. */
export function conv2dForward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor | null,
  attrs: Conv2DAttrs,
): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return runKernel(CONV2D, inputs, { ...attrs, dataFormat: 'NHWC', dilations: 1 }) as tf.Tensor4D;
}

export function hasConv2DKernel(): boolean {
  return hasKernel(CONV2D);
}
