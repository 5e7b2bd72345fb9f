/** Batch normalisation in training, forward and gradient, each one native call (over the last axis). */
import type { BatchNormAttrs } from '../../../accelerated/index.js';
import { type AcceleratedKernel, alloc, output, sizeOf, type TensorInfo, values } from './native.js';

/** Inputs x, scale, offset ([channels]); outputs y, mean, variance. */
export const batchNormTrain: AcceleratedKernel = ({ inputs, backend, attrs }, addon) => {
  const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', TensorInfo>;
  const channels = x.shape[x.shape.length - 1]!;
  const [y, mean, variance] = [alloc(backend, sizeOf(x.shape)), alloc(backend, channels), alloc(backend, channels)];
  addon.batchNormTrain(
    values(backend, x),
    y,
    channels,
    values(backend, scale),
    values(backend, offset),
    Number((attrs as unknown as BatchNormAttrs).epsilon),
    mean,
    variance,
  );
  return [output(backend, x.shape, y), output(backend, [channels], mean), output(backend, [channels], variance)];
};

/** Inputs dy, x, scale, mean, variance; outputs dx, dScale, dOffset. */
export const batchNormGrad: AcceleratedKernel = ({ inputs, backend, attrs }, addon) => {
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
    Number((attrs as unknown as BatchNormAttrs).epsilon),
    dx,
    dScale,
    dOffset,
  );
  return [output(backend, x.shape, dx), output(backend, [channels], dScale), output(backend, [channels], dOffset)];
};
