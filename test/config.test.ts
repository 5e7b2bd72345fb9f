import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { parsePathText, valueAt } from '../src/config/paths.js';
import { ConfigError } from '../src/errors.js';
import { annSeed, cnn } from './helpers/specs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Loads `text` as x.yaml from a scratch folder; messages show the file as `x.yaml`. */
async function load(text: string, overrides: string[] = [], name = 'x.yaml') {
  await writeFile(join(dir, name), text);
  return loadConfig(join(dir, name), overrides, { cwd: dir });
}

async function message(text: string, overrides: string[] = []): Promise<string> {
  const err = await load(text, overrides).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}

const SMALL = 'model:\n  layers:\n    - type: flatten\n    - type: dense\n      units: 10\n      activation: softmax\n';

describe('the shipped configs', () => {
  it.each(['ann-seed', 'ann', 'cnn'])(
    'configs/%s.yaml loads with no errors and is named after its file',
    async (name) => {
      const loaded = await loadConfig(`configs/${name}.yaml`);
      expect(loaded.config.name).toBe(name);
      expect(parse(loaded.resolvedYaml)).toEqual(loaded.config);
    },
  );

  it.each([
    ['ann-seed', annSeed, { epochs: 5, batchSize: 128, validation: 'none' }],
    ['cnn', cnn, { epochs: 1, batchSize: 64, validation: 'test' }],
  ] as const)('configs/%s.yaml is the notebook network, loss, optimizer and training', async (name, spec, train) => {
    const { config } = await loadConfig(`configs/${name}.yaml`);
    expect(config.model.layers).toEqual(spec.model.layers);
    expect(config.loss).toBe(spec.loss);
    expect(config.optimizer).toMatchObject(spec.optimizer);
    expect(config.train).toEqual(train);
    expect(config.seed).toBe(1);
  });

  it('warns, without failing, that ann-seed.yaml pairs softmax with mean squared error', async () => {
    const { warnings } = await loadConfig('configs/ann-seed.yaml');
    expect(warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'loss: meanSquaredError on a softmax output is allowed, but trains slowly, as the notebook shows (12.8% test accuracy after 5 epochs of sgd); categoricalCrossentropy learns far faster',
    ]);
  });

  it('gives ann.yaml no warnings', async () => {
    expect((await loadConfig('configs/ann.yaml')).warnings).toEqual([]);
  });
});

describe('loadConfig resolves', () => {
  it('fills every default and states it in resolvedYaml', async () => {
    const loaded = await load(SMALL);
    expect(loaded.config).toMatchObject({
      name: 'x',
      seed: 1,
      data: {},
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      optimizer: { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999 },
      train: { epochs: 1, batchSize: 32, validation: 'none' },
    });
    expect(loaded.resolvedYaml).toContain('metrics: [accuracy]\n');
    expect(loaded.text).toBe(SMALL);
    expect(loaded.dataPath).toBeUndefined();
  });

  it('resolves data.path against the config file, not the working folder', async () => {
    await mkdir(join(dir, 'sub'), { recursive: true });
    const loaded = await load(`${SMALL}data: {path: ../fashion}\n`, [], 'sub/f.yaml');
    expect(loaded.dataPath).toBe(join(dir, 'fashion'));
  });

  it('keeps an explicit name and fills early stopping defaults', async () => {
    const { config } = await load(`name: mine\n${SMALL}train: {validation: test, earlyStopping: {patience: 2}}\n`);
    expect(config.name).toBe('mine');
    expect(config.train.earlyStopping).toEqual({
      monitor: 'val_loss',
      patience: 2,
      minDelta: 0,
      mode: 'auto',
      restoreBestWeights: false,
    });
  });

  it('returns warnings instead of failing: a batch larger than the training data', async () => {
    const { warnings } = await load(`${SMALL}data: {trainSize: 100}\ntrain: {batchSize: 128}\n`);
    expect(warnings).toEqual([
      {
        severity: 'warning',
        path: 'train.batchSize',
        message: 'batchSize 128 is larger than data.trainSize 100: every epoch is one batch of 100',
      },
    ]);
  });
});

describe('loadConfig applies --set overrides', () => {
  it.each([
    [['train.epochs=3'], 'train.epochs', 3],
    [['model.layers.1.units=256', 'model.layers.1.units=10'], 'model.layers[1].units', 10],
    [['optimizer.type=sgd'], 'optimizer', { type: 'sgd', learningRate: 0.01 }],
    [['optimizer.learningRate=0.1'], 'optimizer.learningRate', 0.1],
    [['train.validation={split: 0.1}'], 'train.validation', { split: 0.1 }],
    [
      ['model.layers.1.kernelInitializer={type: constant, value: 0.1}'],
      'model.layers[1].kernelInitializer',
      { type: 'constant', value: 0.1 },
    ],
    [['name="007"'], 'name', '007'],
    [['description=a b c'], 'description', 'a b c'],
    [['train.earlyStopping.monitor=loss'], 'train.earlyStopping.monitor', 'loss'],
  ])('%j sets %s', async (sets, path, expected) => {
    expect(valueAt((await load(SMALL, sets)).config, parsePathText(path))).toEqual(expected);
  });

  it('shows the overrides in resolvedYaml but leaves text as written', async () => {
    const loaded = await load(SMALL, ['seed=7']);
    expect(loaded.resolvedYaml).toMatch(/^seed: 7$/m);
    expect(loaded.text).toBe(SMALL);
  });
});

describe('loadConfig rejects, with every problem located and explained', () => {
  it.each([
    [
      'a wrong type',
      `${SMALL}seed: one\n`,
      [],
      'x.yaml:7:7 seed: expected an integer in [0, 4294967295], received "one"',
    ],
    [
      'negative units',
      'model:\n  layers:\n    - type: flatten\n    - {type: dense, units: -3}\n',
      [],
      'x.yaml:4:28 model.layers[1].units: expected a positive integer up to 1048576, received -3',
    ],
    [
      'the typo unit:',
      'model:\n  layers:\n    - type: flatten\n    - type: dense\n      unit: 10\n',
      [],
      'x.yaml:5:7 model.layers[1].unit: unknown key; did you mean units?',
    ],
    [
      'an unknown key with nothing close',
      `${SMALL}epochs: 3\n`,
      [],
      'x.yaml:7:1 epochs: unknown key; expected one of: name, description, tags, notes, extends, seed, data, model, loss, optimizer, metrics, train, augment',
    ],
    [
      'an unknown layer type',
      'model:\n  layers:\n    - type: flaten\n',
      [],
      'x.yaml:3:13 model.layers[0].type: expected one of: flatten, reshape, dense, activation, conv2d, maxPooling2d, averagePooling2d, globalAveragePooling2d, globalMaxPooling2d, zeroPadding2d, batchNormalization, dropout, received "flaten"; did you mean flatten?',
    ],
    [
      'a layer without a type',
      'model:\n  layers:\n    - units: 10\n',
      [],
      'x.yaml:3:7 model.layers[0].type: expected one of: flatten, reshape, dense, activation, conv2d, maxPooling2d, averagePooling2d, globalAveragePooling2d, globalMaxPooling2d, zeroPadding2d, batchNormalization, dropout, received nothing (it is required)',
    ],
    [
      'a bad optimizer type',
      `${SMALL}optimizer: {type: adamw}\n`,
      [],
      'x.yaml:7:19 optimizer.type: expected one of: sgd, momentum, adam, rmsprop, adagrad, adadelta, adamax, received "adamw"; did you mean adam?',
    ],
    [
      'a Keras loss name',
      `${SMALL}loss: categorical_crossentropy\n`,
      [],
      'x.yaml:7:7 loss: expected one of: meanSquaredError, meanAbsoluteError, meanAbsolutePercentageError, meanSquaredLogarithmicError, categoricalCrossentropy, sparseCategoricalCrossentropy, categoricalHinge, hinge, squaredHinge, logcosh, kullbackLeiblerDivergence, poisson, cosineProximity, binaryCrossentropy, received "categorical_crossentropy"; did you mean categoricalCrossentropy?',
    ],
    [
      'a missing model',
      'seed: 1\n',
      [],
      'x.yaml:1:1 model: expected {layers: a non-empty list}, received nothing (it is required)',
    ],
    [
      'an empty file',
      '',
      [],
      'x.yaml:1:1 model: expected {layers: a non-empty list}, received nothing (it is required)',
    ],
    [
      'a list at the top',
      '- 1\n',
      [],
      'x.yaml:1:1 (top level): expected a map with keys name, description, tags, notes, extends, seed, data, model, loss, optimizer, metrics, train, augment, received [1]',
    ],
    [
      'a split outside (0, 1)',
      `${SMALL}train: {validation: {split: 1.5}}\n`,
      [],
      'x.yaml:7:29 train.validation.split: expected a number in (0, 1), received 1.5',
    ],
    [
      'a 3-number kernel',
      'model:\n  layers:\n    - {type: conv2d, filters: 2, kernelSize: [3, 3, 3]}\n',
      [],
      'x.yaml:3:46 model.layers[0].kernelSize: expected a list of 2 positive integers up to 4096, received [3, 3, 3]',
    ],
    [
      'an empty regularizer',
      'model:\n  layers:\n    - type: flatten\n    - {type: dense, units: 10, activation: softmax, kernelRegularizer: {}}\n',
      [],
      'x.yaml:4:72 model.layers[1].kernelRegularizer: expected l1, l2 or both, received neither; e.g. {l2: 0.001}',
    ],
  ])('%s', async (_, text, sets, expected) => {
    expect(await message(text, sets)).toBe(expected);
  });

  it('reports all problems at once, one per line, in file order', async () => {
    const text =
      'model:\n  layers:\n    - type: flatten\n    - {type: dense, units: 0, activation: Relu}\noptimizer: {type: sgd, lr: 0.1}\ntrain:\n  epochs: -1\n';
    expect(await message(text)).toBe(
      [
        'x.yaml:4:28 model.layers[1].units: expected a positive integer up to 1048576, received 0',
        'x.yaml:4:43 model.layers[1].activation: expected one of: elu, hardSigmoid, linear, relu, relu6, selu, sigmoid, softmax, softplus, softsign, tanh, swish, mish, gelu, gelu_new, received "Relu"; did you mean relu?',
        'x.yaml:5:24 optimizer.lr: unknown key; did you mean learningRate?',
        'x.yaml:7:11 train.epochs: expected a positive integer up to 100000, received -1',
      ].join('\n'),
    );
  });

  it('locates YAML syntax errors at their line:col', async () => {
    expect(await message('model:\n  layers: [\n    - type: flatten\n')).toBe(
      [
        'x.yaml:3:5 not valid YAML: Block collections are not allowed within flow collections',
        'x.yaml:4:1 not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ].join('\n'),
    );
  });

  it('checks only the syntax of overrides when the file itself is broken', async () => {
    expect(await message('model: [\n', ['model.layers.3.units=2', 'oops'])).toBe(
      [
        'x.yaml:2:1 not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
        '--set oops: expected path=value with a dotted path, e.g. train.epochs=3 or model.layers.1.units=256',
      ].join('\n'),
    );
  });

  it('says which file cannot be read and how to fix it', async () => {
    await expect(loadConfig(join(dir, 'nope.yaml'), [], { cwd: dir })).rejects.toThrow(
      new ConfigError(
        'nope.yaml: cannot read the config file: no such file; pass the path of a .yaml file, e.g. configs/ann.yaml',
      ),
    );
  });

  it.each([
    [
      'an index out of range',
      ['model.layers.9.units=3'],
      '--set model.layers.9.units=3: model.layers has 2 entries (0-1)',
    ],
    ['a path through a number', ['seed.x=1'], '--set seed.x=1: seed is 1, not a map, so it has no key x'],
    [
      'a path through a list by name',
      ['model.layers.units=3'],
      '--set model.layers.units=3: model.layers is a list; pick an entry by its index, e.g. model.layers.0.units',
    ],
    [
      'no =',
      ['train.epochs'],
      '--set train.epochs: expected path=value with a dotted path, e.g. train.epochs=3 or model.layers.1.units=256',
    ],
    [
      'an unclosed list',
      ['model.layers.1.units=[3'],
      '--set model.layers.1.units=[3: the value is not valid YAML (Flow sequence must end with a ]); quote it or fix the brackets',
    ],
    [
      'a value the schema rejects',
      ['train.epochs=-1'],
      '--set train.epochs=-1 train.epochs: expected a positive integer up to 100000, received -1',
    ],
    [
      'a key the schema does not know',
      ['model.layers.1.unit=3'],
      '--set model.layers.1.unit=3 model.layers[1].unit: unknown key; did you mean units?',
    ],
    [
      'a layer it replaces wholesale',
      ['model.layers.1={type: dense}'],
      '--set model.layers.1={type: dense} model.layers[1].units: expected a positive integer up to 1048576, received nothing (it is required)',
    ],
  ])('names the override for %s', async (_, sets, expected) => {
    expect(await message(SMALL, sets)).toBe(expected);
  });

  it.each([
    [
      'a conv2d on [28, 28]',
      'model:\n  layers:\n    - {type: conv2d, filters: 4, kernelSize: 3}\n    - type: flatten\n    - {type: dense, units: 10, activation: softmax}\n',
      [],
      'x.yaml:3:7 model.layers[0]: conv2d needs samples shaped [rows, cols, channels], it receives [28, 28]; add {type: reshape, targetShape: [28, 28, 1]} before it',
    ],
    [
      'a 30x30 kernel on 28x28',
      'model:\n  layers:\n    - {type: reshape, targetShape: [28, 28, 1]}\n    - {type: conv2d, filters: 4, kernelSize: 30}\n    - type: flatten\n    - {type: dense, units: 10, activation: softmax}\n',
      [],
      'x.yaml:4:46 model.layers[1].kernelSize: the 30x30 window is larger than its 28x28 input; use a smaller kernelSize, padding: same, or less downsampling before it',
    ],
    [
      '12 outputs',
      SMALL,
      ['model.layers.1.units=12'],
      '--set model.layers.1.units=12 model.layers[1].units: the last layer must give 10 outputs (one per class), it gives [12]; set units: 10',
    ],
    [
      'no softmax under cross-entropy',
      'model:\n  layers:\n    - type: flatten\n    - {type: dense, units: 10, activation: sigmoid}\n',
      [],
      "x.yaml:4:44 model.layers[1].activation: loss categoricalCrossentropy expects class probabilities, but the network's output activation is sigmoid; end with {type: activation, activation: softmax} or set activation: softmax on the last dense layer",
    ],
    [
      'a val_ monitor without validation',
      `${SMALL}train: {earlyStopping: {monitor: val_loss}}\n`,
      [],
      'x.yaml:7:34 train.earlyStopping.monitor: val_loss is only computed when validating, and train.validation is none; set train.validation to test or {split: 0.1}, or monitor loss',
    ],
    [
      'a monitor never computed',
      `${SMALL}train: {validation: test, earlyStopping: {monitor: val_acc}}\n`,
      [],
      'x.yaml:7:52 train.earlyStopping.monitor: expected one of: loss, accuracy, val_loss, val_accuracy, received "val_acc"; did you mean val_accuracy?',
    ],
    [
      'a plateau schedule watching val_loss without validation',
      `${SMALL}train: {lrSchedule: {type: reduceOnPlateau}}\n`,
      [],
      'x.yaml:7:21 train.lrSchedule.monitor: val_loss is only computed when validating, and train.validation is none; set train.validation to test or {split: 0.1}, or monitor loss',
    ],
  ])('reports the cross-field error of %s at its node', async (_, text, sets, expected) => {
    expect(await message(text, sets)).toBe(expected);
  });
});
