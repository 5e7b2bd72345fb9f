/**
 * tfjs's Conv2D layer, running through the backend's conv2d kernel where it has one (see
 * src/accelerated/conv2d.ts) for NHWC inputs without dilation, and exactly as tfjs
 * does otherwise. Same class name, weights and config, so saved models load as the stock layer.
 */
import * as tf from '@tensorflow/tfjs';
import { CONV2D_ACTIVATIONS, type Conv2DActivation, conv2dForward, hasConv2DKernel } from '../accelerated/index.js';

type Args = Parameters<typeof tf.layers.conv2d>[0];
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
/** The fields tfjs 4.22's layer keeps (private or protected in its typings, pinned by our exact version). */
interface Fields {
  rank: number;
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

// tfjs-layers exports only the factory; its class is the prototype's constructor.
const TfjsConv2D = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })).constructor as new (
  args: Args,
) => tf.layers.Layer;

export class Conv2D extends TfjsConv2D {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const f = this as unknown as Fields;
    const dilation = [f.dilationRate].flat();
    const covered =
      f.rank === 2 &&
      x.rank === 4 &&
      x.dtype === 'float32' &&
      f.dataFormat === 'channelsLast' &&
      dilation.every((d) => d === 1) &&
      (f.padding === 'valid' || f.padding === 'same') &&
      hasConv2DKernel();
    if (!covered) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const name = f.activation.getClassName();
      const fused = CONV2D_ACTIVATIONS.includes(name);
      const y = conv2dForward(x as tf.Tensor4D, f.kernel.read() as tf.Tensor4D, f.bias?.read() ?? null, {
        strides: [f.strides[0]!, f.strides[1]!],
        pad: f.padding as 'valid' | 'same',
        activation: fused ? (name as Conv2DActivation) : 'linear',
      });
      return fused ? y : f.activation.apply(y);
    });
  }
}

export function conv2d(args: Args): tf.layers.Layer {
  return new Conv2D(args);
}
