import * as tf from '@tensorflow/tfjs';
import type { LayerSpec, LayerType } from '../config/schema.js';
import { batchNormalization } from './batch-norm.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { makeInitializer, makeRegularizer } from './initializers.js';

type Layer = tf.layers.Layer;
type SpecOf<K extends LayerType> = Extract<LayerSpec, { type: K }>;
/** `seed(role)` gives a distinct, reproducible seed for each random weight of the layer. */
type Builder<K extends LayerType> = (spec: Omit<SpecOf<K>, 'type'>, seed: (role: string) => number) => Layer;

const INITIALIZER_KEYS = [
  'kernelInitializer',
  'biasInitializer',
  'betaInitializer',
  'gammaInitializer',
  'movingMeanInitializer',
  'movingVarianceInitializer',
] as const;
const REGULARIZER_KEYS = [
  'kernelRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'betaRegularizer',
  'gammaRegularizer',
] as const;

/**
 * Config args are tfjs arg names already; only initializers (seeded here) and regularizers need
 * turning into objects. Kernels default to a seeded glorotUniform, as in Keras.
 */
function tfArgs(spec: Record<string, unknown>, seed: (role: string) => number, kernel: boolean) {
  const args: Record<string, unknown> = { ...spec };
  if (kernel && args.kernelInitializer === undefined) args.kernelInitializer = 'glorotUniform';
  for (const key of INITIALIZER_KEYS) {
    if (args[key] !== undefined) args[key] = makeInitializer(args[key] as never, seed(key));
  }
  for (const key of REGULARIZER_KEYS) {
    if (args[key] !== undefined) args[key] = makeRegularizer(args[key] as never);
  }
  return args as never;
}

/** One builder per layer type; a schema variant without a builder here does not compile. */
export const LAYER_BUILDERS: { [K in LayerType]: Builder<K> } = {
  flatten: (s) => tf.layers.flatten(s as never),
  reshape: (s) => tf.layers.reshape(s as never),
  dense: (s, seed) => dense(tfArgs(s, seed, true)),
  activation: (s) => tf.layers.activation(s as never),
  conv2d: (s, seed) => conv2d(tfArgs(s, seed, true)),
  maxPooling2d: (s) => tf.layers.maxPooling2d(s as never),
  averagePooling2d: (s) => tf.layers.averagePooling2d(s as never),
  globalAveragePooling2d: (s) => tf.layers.globalAveragePooling2d(s as never),
  globalMaxPooling2d: (s) => tf.layers.globalMaxPooling2d(s as never),
  zeroPadding2d: (s) => tf.layers.zeroPadding2d(s as never),
  batchNormalization: (s, seed) => batchNormalization(tfArgs(s, seed, false)),
  // No fixed seed for dropout: tfjs would draw the same mask at every step. Its masks come from
  // Math.random, which the trainer seeds for the run (see withSeededMathRandom).
  dropout: (s) => tf.layers.dropout(s as never),
};
