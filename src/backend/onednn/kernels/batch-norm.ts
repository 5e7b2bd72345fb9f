/**
 * Batch normalisation in training as two native kernels, forward and gradient, in place of the ~40
 * tfjs ops (moments, batchNorm and their gradients: ~10 full passes over the activations) that the
 * BatchNormalization layer otherwise records. The layer (src/model/batch-norm.ts) calls
 * `batchNormTraining` when the backend has these kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnAddon } from '../addon.js';
import { alloc, type KernelArgs, output, sizeOf, type TensorInfo, values } from './native.js';

export const BATCH_NORM_TRAIN = 'OnednnBatchNormTrain';
export const BATCH_NORM_GRAD = 'OnednnBatchNormGrad';

/** Normalises over every axis but the last: inputs x, scale, offset ([channels]); outputs y, mean, variance. */
function train({ inputs, backend, attrs }: KernelArgs, addon: OnednnAddon): TensorInfo[] {
  const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', TensorInfo>;
  const channels = x.shape[x.shape.length - 1]!;
  const [y, mean, variance] = [alloc(backend, sizeOf(x.shape)), alloc(backend, channels), alloc(backend, channels)];
  addon.batchNormTrain(
    values(backend, x),
    y,
    channels,
    values(backend, scale),
    values(backend, offset),
    Number(attrs!.epsilon),
    mean,
    variance,
  );
  return [output(backend, x.shape, y), output(backend, [channels], mean), output(backend, [channels], variance)];
}

/** Inputs dy, x, scale, mean, variance; outputs dx, dScale, dOffset. */
function grad({ inputs, backend, attrs }: KernelArgs, addon: OnednnAddon): TensorInfo[] {
  const { dy, x, scale, mean, variance } = inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance', TensorInfo>;
  const channels = x.shape[x.shape.length - 1]!;
  const [dx, dScale, dOffset] = [alloc(backend, sizeOf(x.shape)), alloc(backend, channels), alloc(backend, channels)];
  const v = (t: TensorInfo) => values(backend, t);
  addon.batchNormGrad(
    v(dy),
    v(x),
    channels,
    v(scale),
    v(mean),
    v(variance),
    Number(attrs!.epsilon),
    dx,
    dScale,
    dOffset,
  );
  return [output(backend, x.shape, dx), output(backend, [channels], dScale), output(backend, [channels], dOffset)];
}

/** Registers both kernels for `backendName` and the forward kernel's gradient; idempotent. */
export function registerBatchNormKernels(backendName: string, addon: OnednnAddon): void {
  const kernel =
    (f: typeof train): tf.KernelFunc =>
    (args) =>
      f(args as unknown as KernelArgs, addon);
  if (!tf.getKernel(BATCH_NORM_TRAIN, backendName)) {
    tf.registerKernel({ kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: kernel(train) });
    tf.registerKernel({ kernelName: BATCH_NORM_GRAD, backendName, kernelFunc: kernel(grad) });
  }
  if (!tf.getGradient(BATCH_NORM_TRAIN)) {
    tf.registerGradient({
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
        const [dx, dScale, dOffset] = tf
          .engine()
          .runKernel(BATCH_NORM_GRAD, { dy, x, scale, mean, variance }, attrs) as tf.Tensor[];
        return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
      },
    });
  }
}

/** y, batch mean and batch variance over all axes but the last; differentiable in x, scale and offset. */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, { epsilon }) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** True when the active backend runs `batchNormTraining`. */
export function hasBatchNormTraining(): boolean {
  return tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;
}
