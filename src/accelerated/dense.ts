/**
 * A dense layer's forward (matmul + bias + relu/sigmoid in one kernel call) with a gradient whose
 * parts are computed only when asked for. tfjs's fused matMul is a customGrad that always computes
 * all three, including the gradient for the layer's input — for a model's first layer that is the
 * gradient for the images: a full, wasted matmul (20% of the notebook ANN's arithmetic). The layer
 * (src/model/dense.ts) calls `denseForward` when the backend has the DENSE kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { throughActivation } from './activation.js';
import { DENSE, type DenseActivation, type DenseAttrs, hasKernel, runKernel } from './kernels.js';

export const DENSE_GRADIENT: Parameters<typeof tf.registerGradient>[0] = {
  kernelName: DENSE,
  inputsToSave: ['x', 'kernel'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, kernel, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    // Shared by all three parts, so computed here, once; each part only when asked for.
    const g = throughActivation(dy as tf.Tensor, y, (attrs as unknown as DenseAttrs).activation);
    return {
      x: () => tf.matMul(g, kernel, false, true),
      kernel: () => tf.matMul(x, g, true, false),
      bias: () => tf.sum(g, 0),
    };
  },
};

/** x·kernel + bias, then `activation`; differentiable in all three. x is rank 2. */
export function denseForward(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  activation: DenseActivation,
): tf.Tensor {
  const inputs: tf.NamedTensorMap = bias ? { x, kernel, bias } : { x, kernel };
  return runKernel(DENSE, inputs, { activation } satisfies DenseAttrs) as tf.Tensor;
}

export function hasDenseKernel(): boolean {
  return hasKernel(DENSE);
}
