/**
 * tfjs's BatchNormalization layer, training through one fused kernel pair where the backend has it
 * (see src/accelerated/batch-norm.ts) and through the same tfjs ops as tfjs
 * elsewhere. It also trains where tfjs 4.22's own layer fails: without `center` or `scale` (it
 * reads gamma/beta unconditionally) and along an axis other than the last (its batchNorm gradient
 * cannot broadcast the parameters). Same class name, weights and config, so saved models load as
 * the stock layer; inference is tfjs's own.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasBatchNormTraining } from '../accelerated/index.js';

type Args = Parameters<typeof tf.layers.batchNormalization>[0];
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
interface Weight {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}
/** The fields tfjs 4.22's layer keeps (private in its typings, pinned by our exact version). */
interface Fields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: Weight | null;
  beta: Weight | null;
  movingMean: Weight;
  movingVariance: Weight;
}

// tfjs-layers exports only the factory; its class is the prototype's constructor.
const TfjsBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization()).constructor as new (
  args?: Args,
) => tf.layers.Layer;

export class BatchNormalization extends TfjsBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    if (kwargs?.training !== true) return super.call(inputs, kwargs); // the moving statistics
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const f = this as unknown as Fields;
    return tf.tidy(() => {
      const axis = f.axis < 0 ? f.axis + x.rank : f.axis;
      const channels = x.shape[axis]!;
      const scale = f.gamma?.read() ?? tf.ones([channels]);
      const offset = f.beta?.read() ?? tf.zeros([channels]);
      const [y, mean, variance] = normalizeInTraining(x, scale, offset, f.epsilon, axis);
      // The moving averages as tfjs updates them: value -= (value - batch) * (1 - momentum).
      for (const [weight, batch] of [
        [f.movingMean, mean],
        [f.movingVariance, variance],
      ] as const) {
        const value = weight.read();
        weight.write(tf.sub(value, tf.mul(tf.sub(value, batch), 1 - f.momentum)));
      }
      return y;
    });
  }
}

/**
 * Training-mode batch norm, normalising over every axis but `axis`: the fused kernels where the
 * backend has them, tfjs ops elsewhere.
 */
export function normalizeInTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  epsilon: number,
  axis: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const last = axis === x.rank - 1;
  if (last && x.rank >= 2 && x.dtype === 'float32' && hasBatchNormTraining())
    return batchNormTraining(x, scale, offset, epsilon);
  const { mean, variance } = tf.moments(
    x,
    [...Array(x.rank).keys()].filter((a) => a !== axis),
  );
  // The last axis as tfjs-layers computes it. tfjs 4.22's batchNorm gradient fails for parameters
  // broadcast along another axis, so that case is spelled out in elementwise ops.
  if (last) return [tf.batchNorm(x, mean, variance, offset, scale, epsilon), mean, variance];
  const shape = x.shape.map((d, a) => (a === axis ? d : 1));
  const [m, v, o, s] = [mean, variance, offset, scale].map((t) => tf.reshape(t, shape)) as tf.Tensor[];
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, m!), tf.rsqrt(tf.add(v!, epsilon))), s!), o!);
  return [y, mean, variance];
}

export function batchNormalization(args?: Args): tf.layers.Layer {
  return new BatchNormalization(args);
}
