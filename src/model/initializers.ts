import * as tf from '@tensorflow/tfjs';
import type { InitializerSpec, RegularizerSpec } from '../config/schema.js';
import { callChecked } from './checked-args.js';

type Initializer = ReturnType<typeof tf.initializers.zeros>;
type InitializerObject = Exclude<InitializerSpec, string>;
type InitializerType = InitializerObject['type'];
type ArgsOf<K extends InitializerType> = Omit<Extract<InitializerObject, { type: K }>, 'type'>;

/**
 * One builder per initializer the schema names, each checked against its tfjs factory. Those that
 * draw random numbers take `seed`, so the same config and seed give the same initial weights; the
 * compiler rejects a seed given to one whose tfjs arguments have none.
 */
const INITIALIZERS: { [K in InitializerType]: (args: ArgsOf<K>, seed: number) => Initializer } = {
  zeros: () => tf.initializers.zeros(),
  ones: () => tf.initializers.ones(),
  constant: (a) => callChecked(tf.initializers.constant, a),
  glorotUniform: (_, seed) => callChecked(tf.initializers.glorotUniform, { seed }),
  glorotNormal: (_, seed) => callChecked(tf.initializers.glorotNormal, { seed }),
  heUniform: (_, seed) => callChecked(tf.initializers.heUniform, { seed }),
  heNormal: (_, seed) => callChecked(tf.initializers.heNormal, { seed }),
  leCunUniform: (_, seed) => callChecked(tf.initializers.leCunUniform, { seed }),
  leCunNormal: (_, seed) => callChecked(tf.initializers.leCunNormal, { seed }),
  randomUniform: (a, seed) => callChecked(tf.initializers.randomUniform, { ...a, seed }),
  randomNormal: (a, seed) => callChecked(tf.initializers.randomNormal, { ...a, seed }),
  truncatedNormal: (a, seed) => callChecked(tf.initializers.truncatedNormal, { ...a, seed }),
  orthogonal: (a, seed) => callChecked(tf.initializers.orthogonal, { ...a, seed }),
  varianceScaling: (a, seed) => callChecked(tf.initializers.varianceScaling, { ...a, seed }),
};

/** Builds a tfjs initializer from its config form: a name (tfjs's defaults), or `{type, ...args}`. */
export function makeInitializer(spec: InitializerSpec, seed: number): Initializer {
  const { type, ...args } = typeof spec === 'string' ? { type: spec } : spec;
  return (INITIALIZERS[type] as (a: typeof args, s: number) => Initializer)(args, seed);
}

/** An absent l1 or l2 is 0 here; tfjs's l1l2 would read it as 0.01. */
export function makeRegularizer(spec: RegularizerSpec) {
  return callChecked(tf.regularizers.l1l2, { l1: spec.l1 ?? 0, l2: spec.l2 ?? 0 });
}
