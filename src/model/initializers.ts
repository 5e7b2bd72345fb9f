import * as tf from '@tensorflow/tfjs';
import type { InitializerSpec, RegularizerSpec } from '../config/schema.js';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Initializers that draw random numbers take a seed; the compiler gives each weight its own. */
const SEEDED = new Set([
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
  'randomUniform',
  'randomNormal',
  'truncatedNormal',
  'orthogonal',
  'varianceScaling',
]);

/**
 * Builds a tfjs initializer from its config form (a name, or `{type, ...args}`), seeding the random
 * ones with `seed` so that the same config and seed give the same initial weights.
 */
export function makeInitializer(spec: InitializerSpec, seed: number): Initializer {
  const { type, ...args } = typeof spec === 'string' ? { type: spec } : spec;
  const factory = (tf.initializers as unknown as Record<string, (a: object) => Initializer>)[type];
  if (!factory) throw new Error(`no tfjs initializer named ${type}`); // unreachable: the schema lists only tfjs names
  return factory(SEEDED.has(type) ? { ...args, seed } : args);
}

export function makeRegularizer(spec: RegularizerSpec) {
  return tf.regularizers.l1l2({ l1: spec.l1 ?? 0, l2: spec.l2 ?? 0 });
}
