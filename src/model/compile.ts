import * as tf from '@tensorflow/tfjs';
import { acceleratedAdam } from '../accelerated/index.js';
import type { Config, LayerSpec, OptimizerSpec } from '../config/schema.js';
import { deriveSeed } from '../util/random.js';
import { LAYER_BUILDERS } from './layers.js';

type Optimizer = tf.Optimizer;
type OptimizerBuilders = {
  [K in OptimizerSpec['type']]: (spec: Omit<Extract<OptimizerSpec, { type: K }>, 'type'>) => Optimizer;
};

/** Hyperparameter names follow tf.train's factories; unset ones take tfjs's defaults. */
const OPTIMIZERS: OptimizerBuilders = {
  sgd: (o) => tf.train.sgd(o.learningRate),
  momentum: (o) => tf.train.momentum(o.learningRate, o.momentum, o.useNesterov),
  // tf.train.adam's arithmetic and state; one kernel call per variable where the backend has one.
  adam: (o) => acceleratedAdam(o.learningRate, o.beta1, o.beta2, o.epsilon),
  rmsprop: (o) => tf.train.rmsprop(o.learningRate, o.decay, o.momentum, o.epsilon, o.centered),
  adagrad: (o) => tf.train.adagrad(o.learningRate, o.initialAccumulatorValue),
  adadelta: (o) => tf.train.adadelta(o.learningRate, o.rho, o.epsilon),
  adamax: (o) => tf.train.adamax(o.learningRate, o.beta1, o.beta2, o.epsilon, o.decay),
};

export function makeOptimizer(spec: OptimizerSpec): Optimizer {
  const { type, ...args } = spec;
  return (OPTIMIZERS[type] as (a: typeof args) => Optimizer)(args);
}

/** Keras-style names (dense_1, dense_2, activation_1…) unless the config names the layer. */
function kerasNames(layers: LayerSpec[]): string[] {
  const seen = new Map<string, number>();
  return layers.map((l) => {
    const base = l.type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return l.name ?? `${base}_${n}`;
  });
}

function buildLayer(spec: LayerSpec, index: number, seed: number, name: string) {
  const { type, ...args } = { ...spec, name };
  const layerSeed = (role: string) => deriveSeed(seed, `init/${index}/${role}`);
  return (LAYER_BUILDERS[type] as (a: typeof args, s: typeof layerSeed) => tf.layers.Layer)(args, layerSeed);
}

/** Config metric names tfjs's compile() knows only by their short forms; logs keep the config's names. */
const TFJS_METRIC: Partial<Record<Config['metrics'][number], string>> = {
  meanSquaredError: 'mse',
  meanAbsoluteError: 'mae',
};

/**
 * Compiles a config into a tfjs layers model: pure, no I/O. `inputShape` is one sample's shape
 * (the data's [rows, cols]); `seed` fixes every initial weight.
 */
export function compileModel(
  cfg: Pick<Config, 'model' | 'loss' | 'optimizer' | 'metrics'>,
  inputShape: number[],
  seed: number,
) {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape }));
  const names = kerasNames(cfg.model.layers);
  for (const [i, spec] of cfg.model.layers.entries())
    model.add(buildLayer(spec, i, deriveSeed(seed, 'init'), names[i]!));
  model.compile({
    loss: cfg.loss,
    optimizer: makeOptimizer(cfg.optimizer),
    metrics: cfg.metrics.map((m) => TFJS_METRIC[m] ?? m),
  });
  return model;
}
