/**
 * Batch normalisation in training as two kernels, forward and gradient, in place of the ~40 tfjs
 * ops (moments, batchNorm and their gradients: ~10 full passes over the activations) that the
 * BatchNormalization layer otherwise records. The layer (src/model/batch-norm.ts) calls
 * `batchNormTraining` when the backend has these kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN, type BatchNormAttrs, hasKernel, runKernel } from './kernels.js';

export const BATCH_NORM_GRADIENT: Parameters<typeof tf.registerGradient>[0] = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  // The mean and variance outputs only feed the moving averages, never the loss: their
  // gradients are taken as zero. All three gradients come from one kernel call, made here
  // rather than in the per-input closures (each runs in its own tidy); the ones not asked
  // for are disposed with the backward pass's scope, as with tf.customGrad.
  gradFunc: (dys, saved, attrs) => {
    const [x, scale, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const dy = (Array.isArray(dys) ? dys[0] : dys) ?? tf.zerosLike(x);
    const [dx, dScale, dOffset] = runKernel(BATCH_NORM_GRAD, { dy, x, scale, mean, variance }, attrs) as tf.Tensor[];
    return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
  },
};

/** y, batch mean and batch variance over all axes but the last; differentiable in x, scale and offset. */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, { epsilon } satisfies BatchNormAttrs) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** True when the active backend has both batch-norm kernels. */
export function hasBatchNormTraining(): boolean {
  return hasKernel(BATCH_NORM_TRAIN) && hasKernel(BATCH_NORM_GRAD);
}
