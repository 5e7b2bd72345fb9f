import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeIssues } from '../src/config/messages.js';
import { ACTIVATIONS, INITIALIZER_NAMES, LOSSES } from '../src/config/names.js';
import { OptimizerSchema } from '../src/config/optimizers.js';
import { pathText } from '../src/config/paths.js';
import { ConfigSchema, configJsonSchema, LAYER_TYPES } from '../src/config/schema.js';
import { didYouMean } from '../src/config/suggest.js';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

const tiny = () => tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });

describe('the names the schema accepts are the ones tfjs 4.22 knows', () => {
  it.each(ACTIVATIONS)('activation %s builds and runs', (activation) => {
    const out = tf.layers.activation({ activation }).apply(tf.ones([1, 3])) as tf.Tensor;
    expect(out.shape).toEqual([1, 3]);
  });

  it.each(LOSSES)('loss %s compiles', (loss) => {
    expect(() => tiny().compile({ loss, optimizer: 'sgd' })).not.toThrow();
  });

  it.each(INITIALIZER_NAMES)('initializer %s exists in tf.initializers', (name) => {
    expect(typeof (tf.initializers as Record<string, unknown>)[name]).toBe('function');
  });

  it('has no activityRegularizer, since tfjs 4.22 throws on adding a layer that has one', () => {
    const layer = tf.layers.dense({ units: 2, activityRegularizer: tf.regularizers.l2() });
    expect(() => tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3] }), layer] })).toThrow(
      'activity regularizer',
    );
  });

  it('lists every layer type once, each a tf.layers factory', () => {
    expect(LAYER_TYPES).toHaveLength(12);
    expect(new Set(LAYER_TYPES).size).toBe(12);
    for (const type of LAYER_TYPES) expect(typeof (tf.layers as Record<string, unknown>)[type]).toBe('function');
  });
});

describe('optimizer defaults', () => {
  it.each([
    ['adam', () => tf.train.adam()],
    ['adadelta', () => tf.train.adadelta()],
    ['adamax', () => tf.train.adamax()],
    ['rmsprop', () => tf.train.rmsprop(0.001)],
    ['adagrad', () => tf.train.adagrad(0.01)],
  ] as const)("fills %s's hyperparameters with tfjs's own defaults", (type, make) => {
    const filled = OptimizerSchema.parse({ type }) as Record<string, unknown>;
    const tfjs = make().getConfig();
    for (const [key, value] of Object.entries(filled)) {
      if (key !== 'type' && key in tfjs) expect([key, value]).toEqual([key, tfjs[key]]);
    }
  });

  it('asks for momentum, which tfjs has no default for', () => {
    expect(OptimizerSchema.safeParse({ type: 'momentum' }).success).toBe(false);
    expect(OptimizerSchema.parse({ type: 'momentum', momentum: 0.9 })).toEqual({
      type: 'momentum',
      learningRate: 0.01,
      momentum: 0.9,
      useNesterov: false,
    });
  });
});

describe('configJsonSchema', () => {
  /** Every property of every object in the JSON Schema, with its path. */
  function properties(node: unknown, at = ''): [string, Record<string, unknown>][] {
    if (Array.isArray(node)) return node.flatMap((n, i) => properties(n, `${at}[${i}]`));
    if (node === null || typeof node !== 'object') return [];
    const n = node as Record<string, unknown>;
    const own = Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>).map(
      ([k, v]) => [`${at}.${k}`, v] as [string, Record<string, unknown>],
    );
    return [...own, ...Object.entries(n).flatMap(([k, v]) => properties(v, `${at}/${k}`))];
  }

  it('gives every property a description for editor hover text', () => {
    const props = properties(configJsonSchema());
    expect(props.length).toBeGreaterThan(100);
    const undescribed = props.filter(([, v]) => typeof v.description !== 'string' && !(v.anyOf || v.oneOf || v.allOf));
    expect(undescribed.map(([p]) => p)).toEqual([]);
  });

  it('lets a user leave out what has a default and forbids unknown keys', () => {
    const schema = configJsonSchema() as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(['model']);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('describeIssues', () => {
  const layers = (l: object) => ({ model: { layers: [{ type: 'flatten' }, l] } });
  const messages = (input: unknown) => {
    const r = ConfigSchema.safeParse(input);
    return r.success
      ? []
      : describeIssues(r.error.issues, input, ConfigSchema).map((p) => `${pathText(p.path)}: ${p.message}`);
  };

  it.each([
    [
      'a fraction for an integer',
      layers({ type: 'dense', units: 3.5 }),
      'model.layers[1].units: expected a positive integer up to 1048576, received 3.5',
    ],
    [
      'a rate of 1',
      layers({ type: 'dropout', rate: 1 }),
      'model.layers[1].rate: expected a number in [0, 1), received 1',
    ],
    [
      'a string for a list',
      layers({ type: 'reshape', targetShape: '28,28,1' }),
      'model.layers[1].targetShape: expected a non-empty list of positive integers up to 1048576, received "28,28,1"',
    ],
    [
      'an initializer typo',
      layers({ type: 'dense', units: 2, biasInitializer: 'zero' }),
      'model.layers[1].biasInitializer: expected one of: zeros, ones, glorotUniform, glorotNormal, heUniform, heNormal, leCunUniform, leCunNormal, randomUniform, randomNormal, truncatedNormal, orthogonal, varianceScaling or a map with a type, received "zero"; did you mean zeros?',
    ],
    [
      'an initializer argument typo',
      layers({ type: 'dense', units: 2, kernelInitializer: { type: 'randomNormal', std: 1 } }),
      'model.layers[1].kernelInitializer.std: unknown key; did you mean stddev?',
    ],
    [
      'a validation typo',
      { ...layers({ type: 'flatten' }), train: { validation: 'tset' } },
      'train.validation: expected one of: test, none or {split: a number in (0, 1)}, received "tset"; did you mean test?',
    ],
    [
      "Keras's lr",
      { ...layers({ type: 'flatten' }), optimizer: { type: 'sgd', lr: 0.01 } },
      'optimizer.lr: unknown key; did you mean learningRate?',
    ],
    [
      'an activity regularizer, which tfjs 4.22 cannot build',
      layers({ type: 'dense', units: 2, activityRegularizer: { l2: 0.01 } }),
      'model.layers[1].activityRegularizer: unknown key; expected one of: type, name, units, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer',
    ],
    [
      'a negative l2',
      layers({ type: 'dense', units: 2, kernelRegularizer: { l2: -1 } }),
      'model.layers[1].kernelRegularizer.l2: expected a number >= 0, received -1',
    ],
  ])('explains %s', (_, input, expected) => {
    expect(messages(input)).toEqual([expected]);
  });

  it('does not also report a required key that a typo next to it was meant to be', () => {
    expect(messages(layers({ type: 'dense', unit: 3 }))).toEqual([
      'model.layers[1].unit: unknown key; did you mean units?',
    ]);
  });
});

describe('didYouMean', () => {
  it.each([
    ['unit', ['units', 'name'], 'units'],
    ['Relu', ['relu', 'elu'], 'relu'],
    ['categorical_crossentropy', ['categoricalCrossentropy', 'hinge'], 'categoricalCrossentropy'],
    ['acc', ['accuracy'], 'accuracy'],
    ['std', ['mean', 'stddev'], 'stddev'],
    ['banana', ['relu', 'tanh'], undefined],
  ])('%s → %s', (word, options, expected) => {
    expect(didYouMean(word, options)).toBe(expected);
  });
});
