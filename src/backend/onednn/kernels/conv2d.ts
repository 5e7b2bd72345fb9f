/**
 * A conv2d layer's forward (convolution + bias + relu in one native call) with a gradient whose parts
 * are computed only when asked for. tfjs's fused conv2d is a customGrad that always computes all
 * three, including the gradient for the layer's input — for a model's first layer that is the
 * gradient for the images (a whole backward-data convolution, ~6% of the notebook CNN's step).
 * The layer (src/model/conv2d.ts) calls `conv2dForward` when the backend has this kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnAddon } from '../addon.js';
import { throughActivation } from './activation-grad.js';
import { fusedConv2d } from './conv.js';
import type { KernelArgs, TensorInfo } from './native.js';

export const CONV2D = 'OnednnConv2D';
export type Conv2DActivation = 'linear' | 'relu';
export const CONV2D_ACTIVATIONS: readonly string[] = ['linear', 'relu'] satisfies Conv2DActivation[];
export interface Conv2DAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
  activation: Conv2DActivation;
}

export function registerConv2DKernel(backendName: string, addon: OnednnAddon): void {
  if (!tf.getKernel(CONV2D, backendName)) {
    tf.registerKernel({
      kernelName: CONV2D,
      backendName,
      kernelFunc: (args) => {
        const result = fusedConv2d(args as unknown as KernelArgs, addon);
        if (!result) throw new Error(`${CONV2D}: unsupported arguments`); // conv2dForward only sends covered cases
        return result as TensorInfo;
      },
    });
  }
  if (!tf.getGradient(CONV2D)) {
    tf.registerGradient({
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
            tf
              .engine()
              .runKernel('Conv2DBackpropInput', { dy: g, filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
          filter: () =>
            tf
              .engine()
              .runKernel('Conv2DBackpropFilter', { x, dy: g }, { ...conv, filterShape: filter.shape }) as tf.Tensor,
          bias: () => tf.sum(g, [0, 1, 2]),
        };
      },
    });
  }
}

/** NHWC convolution, dilation 1, + bias, then `activation`; differentiable in all three. */
export function conv2dForward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor | null,
  attrs: Conv2DAttrs,
): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf.engine().runKernel(CONV2D, inputs, {
    ...attrs,
    dataFormat: 'NHWC',
    dilations: 1,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

export function hasConv2DKernel(): boolean {
  return tf.getKernel(CONV2D, tf.getBackend()) !== undefined;
}
