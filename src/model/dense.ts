/**
 * tfjs's Dense layer, running through the backend's dense kernel where it has one (see
 * src/accelerated/dense.ts) and exactly as tfjs does elsewhere. Same class name,
 * weights and config, so saved models load as the stock layer.
 */
import * as tf from '@tensorflow/tfjs';
import { DENSE_ACTIVATIONS, type DenseActivation, denseForward, hasDenseKernel } from '../accelerated/index.js';

type Args = Parameters<typeof tf.layers.dense>[0];
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
/** The fields tfjs 4.22's layer keeps (private in its typings, pinned by our exact version). */
interface Fields {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): void;
}

// tfjs-layers exports only the factory; its class is the prototype's constructor.
const TfjsDense = Object.getPrototypeOf(tf.layers.dense({ units: 1 })).constructor as new (
  args: Args,
) => tf.layers.Layer;

export class Dense extends TfjsDense {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (x.rank !== 2 || x.dtype !== 'float32' || !hasDenseKernel()) return super.call(inputs, kwargs);
    const f = this as unknown as Fields;
    return tf.tidy(() => {
      f.invokeCallHook(inputs, kwargs);
      const name = f.activation.getClassName();
      const fused = DENSE_ACTIVATIONS.includes(name);
      const y = denseForward(x, f.kernel.read(), f.bias?.read() ?? null, fused ? (name as DenseActivation) : 'linear');
      return fused ? y : f.activation.apply(y);
    });
  }
}

export function dense(args: Args): tf.layers.Layer {
  return new Dense(args);
}
