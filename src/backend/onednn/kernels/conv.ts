/** Conv2D, FusedConv2D and both Conv2D gradients on oneDNN; NHWC only (NCHW takes the cpu path). */
import * as tf from '@tensorflow/tfjs';
import { allFloat32, alloc, type KernelArgs, type NativeKernel, output, sizeOf, values } from './native.js';

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Attrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** The flat geometry native/src/conv.cc expects (see OnednnAddon.conv2d); the layer-stack step takes it too. */
export function convGeometry(c: ConvInfo): number[] {
  const p = c.padInfo;
  return [
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ];
}

export function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Attrs,
  dilations: Attrs['dilations'] = 1,
): ConvInfo | undefined {
  if (attrs.dataFormat === 'NCHW') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return sizeOf(info.outShape) === 0 ? undefined : info;
}

export const conv2d: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x, filter } = inputs;
  const a = attrs as unknown as Attrs;
  if (!x || !filter || !allFloat32(x, filter)) return undefined;
  const info = convInfo(x.shape, filter.shape, a, a.dilations);
  if (!info) return undefined;
  const out = alloc(backend, sizeOf(info.outShape));
  addon.conv2d(values(backend, x), values(backend, filter), out, convGeometry(info), null, false);
  return output(backend, info.outShape, out);
};

/** Bias of one value per output channel, and linear or relu activation; anything else falls back. */
export const fusedConv2d: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const a = attrs as unknown as Attrs & { activation?: string };
  const act = a.activation ?? 'linear';
  if (!x || !filter || preluActivationWeights || (act !== 'linear' && act !== 'relu')) return undefined;
  if (!allFloat32(x, filter, bias)) return undefined;
  const info = convInfo(x.shape, filter.shape, a, a.dilations);
  if (!info || (bias && sizeOf(bias.shape) !== info.outChannels)) return undefined;
  const out = alloc(backend, sizeOf(info.outShape));
  const b = bias ? values(backend, bias) : null;
  addon.conv2d(values(backend, x), values(backend, filter), out, convGeometry(info), b, act === 'relu');
  return output(backend, info.outShape, out);
};

export const conv2dBackpropInput: NativeKernel = ({ inputs, backend, attrs }: KernelArgs, addon) => {
  const { dy, filter } = inputs;
  const a = attrs as unknown as Attrs & { inputShape: number[] };
  if (!dy || !filter || !allFloat32(dy, filter)) return undefined;
  const info = convInfo(a.inputShape, filter.shape, a);
  if (!info) return undefined;
  const dx = alloc(backend, sizeOf(a.inputShape));
  addon.conv2dBackpropInput(values(backend, dy), values(backend, filter), dx, convGeometry(info));
  return output(backend, a.inputShape, dx);
};

export const conv2dBackpropFilter: NativeKernel = ({ inputs, backend, attrs }: KernelArgs, addon) => {
  const { x, dy } = inputs;
  const a = attrs as unknown as Attrs & { filterShape: number[] };
  if (!x || !dy || !allFloat32(x, dy)) return undefined;
  const info = convInfo(x.shape, a.filterShape, a);
  if (!info) return undefined;
  const dw = alloc(backend, sizeOf(a.filterShape));
  addon.conv2dBackpropFilter(values(backend, x), values(backend, dy), dw, convGeometry(info));
  return output(backend, a.filterShape, dw);
};
