import * as tf from '@tensorflow/tfjs';
import type { InitializerSpec, LayerSpec, LayerType, RegularizerSpec } from '../config/schema.js';
import { batchNormalization } from './batch-norm.js';
import { callChecked } from './checked-args.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { makeInitializer, makeRegularizer } from './initializers.js';

type Layer = tf.layers.Layer;
type SpecOf<K extends LayerType> = Omit<Extract<LayerSpec, { type: K }>, 'type'>;
/** `seed(role)` gives a distinct, reproducible seed for each random weight of the layer. */
type Seed = (role: string) => number;
type Builder<K extends LayerType> = (spec: SpecOf<K>, seed: Seed) => Layer;
const init = (spec: InitializerSpec | undefined, seed: number) =>
  spec === undefined ? undefined : makeInitializer(spec, seed);
const reg = (spec: RegularizerSpec | undefined) => (spec === undefined ? undefined : makeRegularizer(spec));

/** Dense and conv2d's weights: kernels default to a seeded glorotUniform, as in Keras. */
function weights(s: SpecOf<'dense' | 'conv2d'>, seed: Seed) {
  return {
    kernelInitializer: makeInitializer(s.kernelInitializer ?? 'glorotUniform', seed('kernelInitializer')),
    biasInitializer: init(s.biasInitializer, seed('biasInitializer')),
    kernelRegularizer: reg(s.kernelRegularizer),
    biasRegularizer: reg(s.biasRegularizer),
  };
}

/**
 * One builder per layer type; a schema variant without a builder here does not compile, and each
 * args object is checked against its tfjs factory's parameter type. Config keys are tfjs argument
 * names already; only initializers (seeded here) and regularizers become objects.
 */
export const LAYER_BUILDERS: { [K in LayerType]: Builder<K> } = {
  flatten: (s) => callChecked(tf.layers.flatten, s),
  reshape: (s) => callChecked(tf.layers.reshape, s),
  dense: (s, seed) => callChecked(dense, { ...s, ...weights(s, seed) }),
  activation: (s) => callChecked(tf.layers.activation, s),
  conv2d: (s, seed) => callChecked(conv2d, { ...s, ...weights(s, seed) }),
  maxPooling2d: (s) => callChecked(tf.layers.maxPooling2d, s),
  averagePooling2d: (s) => callChecked(tf.layers.averagePooling2d, s),
  globalAveragePooling2d: (s) => callChecked(tf.layers.globalAveragePooling2d, s),
  globalMaxPooling2d: (s) => callChecked(tf.layers.globalMaxPooling2d, s),
  zeroPadding2d: (s) => callChecked(tf.layers.zeroPadding2d, s),
  batchNormalization: (s, seed) =>
    callChecked(batchNormalization, {
      ...s,
      betaInitializer: init(s.betaInitializer, seed('betaInitializer')),
      gammaInitializer: init(s.gammaInitializer, seed('gammaInitializer')),
      movingMeanInitializer: init(s.movingMeanInitializer, seed('movingMeanInitializer')),
      movingVarianceInitializer: init(s.movingVarianceInitializer, seed('movingVarianceInitializer')),
      betaRegularizer: reg(s.betaRegularizer),
      gammaRegularizer: reg(s.gammaRegularizer),
    }),
  // No fixed seed for dropout: tfjs would draw the same mask at every step. Its masks come from
  // Math.random, which the trainer seeds for the run (see withMathRandom).
  dropout: (s) => callChecked(tf.layers.dropout, s),
};
