import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../../errors.js';

type Pair = number | [number, number];
type Shape4 = [number, number, number, number];

/** The attributes both conv2d gradient kernels receive from tfjs-core. */
export interface ConvGradAttrs {
  strides: Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /**
   * Not among tfjs-core's attrs (its conv2d gradient rejects dilations > 1 before any kernel
   * runs), but honoured when a caller passes it to runKernel directly.
   */
  dilations?: Pair;
}

/** Sizes of one NHWC convolution, x [n, h, w, ci] * filter [fh, fw, ci, co] → dy [n, oh, ow, co]. */
export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  co: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  left: number;
  /** Filter taps times input channels: one column of the im2col matrix. */
  k: number;
  /** Output positions per image: oh · ow. */
  p: number;
}

export function convGeometry(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  dyShape: number[],
  attrs: ConvGradAttrs,
): ConvGeometry {
  if (attrs.dataFormat !== 'NHWC') {
    throw new BackendError(
      `wasm ${kernel}: expected dataFormat NHWC, received ${attrs.dataFormat}\n` +
        '  fix: use dataFormat channelsLast in conv2d layers, or another backend',
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dyShape.length !== 4 || expected.some((size, i) => dyShape[i] !== size)) {
    throw new BackendError(
      `wasm ${kernel}: expected dy of shape [${expected.join(', ')}] for input [${xShape.join(', ')}] and ` +
        `filter [${filterShape.join(', ')}], received [${dyShape.join(', ')}]`,
    );
  }
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    k: info.filterHeight * info.filterWidth * info.inChannels,
    p: info.outHeight * info.outWidth,
  };
}

/**
 * Output indices o in [lo, hi) whose input index o·stride + start falls inside [0, size): the
 * rest read padding. Computing the range once keeps bounds checks out of the inner loops.
 */
export function tapRange(out: number, stride: number, start: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-start / stride));
  const hi = Math.min(out, Math.floor((size - 1 - start) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** How many images fit in one im2col chunk of at most `budget` floats (at least one). */
export function imagesPerChunk(geo: ConvGeometry, budget: number): number {
  return Math.max(1, Math.min(geo.n, Math.floor(budget / (geo.k * geo.p))));
}
