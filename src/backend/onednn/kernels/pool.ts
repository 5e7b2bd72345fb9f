/** MaxPool and MaxPoolGrad, NHWC, no dilation (tfjs's maxPool has none). */
import * as tf from '@tensorflow/tfjs';
import { allFloat32, alloc, type NativeKernel, output, sizeOf, values } from './native.js';

export type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** tfjs's pooling geometry, and the flat form native/src/pool.cc takes (the layer-stack step takes it too). */
export function poolGeometry(xShape: number[], a: PoolAttrs) {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const geometry = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
  return { info, geometry };
}

export const maxPool: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x } = inputs;
  if (x?.shape.length !== 4 || !allFloat32(x)) return undefined;
  const { info, geometry } = poolGeometry(x.shape, attrs as unknown as PoolAttrs);
  if (sizeOf(info.outShape) === 0) return undefined;
  const out = alloc(backend, sizeOf(info.outShape));
  addon.maxPool(values(backend, x), out, geometry);
  return output(backend, info.outShape, out);
};

export const maxPoolGrad: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { dy, input } = inputs;
  if (!dy || !input || input.shape.length !== 4 || !allFloat32(dy, input)) return undefined;
  const { info, geometry } = poolGeometry(input.shape, attrs as unknown as PoolAttrs);
  if (sizeOf(info.outShape) === 0) return undefined;
  const dx = alloc(backend, sizeOf(input.shape));
  addon.maxPoolGrad(values(backend, dy), values(backend, input), dx, geometry);
  return output(backend, input.shape, dx);
};
