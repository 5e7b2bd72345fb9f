import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadAddon, type OnednnAddon } from '../src/backend/onednn/addon.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { layerStackStep, planLayerStack } from '../src/backend/onednn/layer-stack.js';
import { makeTrainStep } from '../src/train/step.js';
import { batch, compareWithTfjs, compiled, stepOptions } from './helpers/dense-stack.js';
import { CNN_VARIANTS, cnnLayers } from './helpers/layer-stack-variants.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-4;
/**
 * Adam divides each gradient by its own running magnitude, so where a gradient is at rounding level
 * any two float orders of the same sums move the weight apart by a whole step (see
 * test/onednn-dense-stack.test.ts), even within one step from the same state: at the notebook's
 * rate of 0.01 tfjs's own training on onednn and on cpu part by 1.6e-2 on a 16-row step (the native
 * step by 1.1e-2). At Adam's default rate of 0.001 the native step stays within 3.2e-4 of tfjs on
 * onednn, with 8 elements in 10^6 further than 1e-4 apart; that is the check below (ADAM, APART),
 * far from what a wrong gradient or a lost moment gives (> 0.1, most elements). The notebook's own
 * rate is checked against cpu, relative to tfjs's own onednn training.
 */
const ADAM = 1e-3;
/** The largest fraction of a weight's elements allowed further than 1e-4 of its scale apart, with Adam. */
const APART = 1e-3;

const SGD = 'optimizer={type: sgd, learningRate: 0.05}';
const layers = cnnLayers;

/** SGD moves each weight by exactly its gradient, so these check every gradient tightly. */
const VARIANTS: [string, string, string[]][] = [
  ['the notebook CNN (with SGD)', 'configs/cnn.yaml', [SGD]],
  ...CNN_VARIANTS.map(([title, l]): [string, string, string[]] => [title, 'configs/cnn.yaml', [SGD, l]]),
  [
    'a dense stack with dropout, mean squared error',
    'configs/ann.yaml',
    [
      SGD,
      'loss=meanSquaredError',
      'metrics=[accuracy, meanSquaredError, meanAbsoluteError, categoricalCrossentropy]',
      'model.layers=[{type: flatten}, {type: dense, units: 64, activation: relu}, {type: dropout, rate: 0.5}, {type: dense, units: 10, activation: softmax}]',
    ],
  ],
];

/**
 * Each against tfjs's own training on onednn (whose kernels the other onednn test files hold to the
 * cpu backend); the notebook CNN also against the cpu backend directly, on 16 rows for 2 steps (pure
 * JavaScript: ~5 s a step for 32 rows, so not for every variant). Each step starts from the same
 * state on both sides (see compareWithTfjs).
 */
const references = (name: string) =>
  name.startsWith('the notebook CNN') ? (['cpu', 'onednn'] as const) : (['onednn'] as const);

describe(`the native layer-stack training step${skipReason}`, () => {
  it.skipIf(!load.ok).each(VARIANTS)(
    '%s: weights, moving statistics, loss and metrics match tfjs on each of 3 steps',
    async (name, file, overrides) => {
      for (const reference of references(name)) {
        const [steps, rows] = reference === 'cpu' ? [2, 16] : [3, 32];
        const got = await compareWithTfjs(reference, file, overrides, steps, 0, rows, layerStackStep);
        expect(got.weights, reference).toBeLessThanOrEqual(TOL);
        expect(got.logs, reference).toBeLessThanOrEqual(TOL);
        // a bias ahead of a batch norm has no gradient: it holds only rounding noise
        expect(got.roundingNoise, reference).toBeLessThanOrEqual(1e-5);
      }
    },
    120_000,
  );

  it.skipIf(!load.ok)(
    "the notebook CNN as shipped (Adam): no further from tfjs on cpu than tfjs's own onednn training",
    async () => {
      const own = await compareWithTfjs('cpu', 'configs/cnn.yaml', [], 0, 2, 16, layerStackStep);
      const got = await compareWithTfjs('cpu', 'configs/cnn.yaml', [], 2, 0, 16, layerStackStep);
      expect(got.weights).toBeLessThanOrEqual(Math.max(own.weights, 1e-3));
      expect(got.logs).toBeLessThanOrEqual(TOL);
    },
    180_000,
  );

  it.skipIf(!load.ok)(
    "Adam (at its default rate): matches tfjs on onednn on each of 3 steps, and its state and the moving statistics carry over to tfjs's own step",
    async () => {
      for (const [native, tfjs] of [
        [3, 0],
        [2, 2],
      ]) {
        const { weights, logs, apart } = await compareWithTfjs(
          'onednn',
          'configs/cnn.yaml',
          ['optimizer.learningRate=0.001'],
          native!,
          tfjs!,
          32,
          layerStackStep,
        );
        expect(weights).toBeLessThanOrEqual(ADAM);
        expect(apart).toBeLessThanOrEqual(APART);
        expect(logs).toBeLessThanOrEqual(TOL);
      }
    },
    120_000,
  );

  it.skipIf(!load.ok)('is what the loop takes for the CNNs on onednn; the ANNs keep the dense-stack step', async () => {
    await tf.setBackend('onednn');
    for (const [file, kind] of [
      ['configs/cnn.yaml', /^native layer-stack step/],
      ['configs/cnn-augment.yaml', /^native layer-stack step/],
      ['configs/ann.yaml', /^native dense-stack step/],
      ['configs/ann-seed.yaml', /^native dense-stack step/],
    ] as const) {
      const { config, model } = await compiled(file);
      expect(makeTrainStep(model, stepOptions(config)).kind, file).toMatch(kind);
      model.dispose();
    }
  });

  const REJECTED: [string, string, string[], RegExp][] = [
    [
      'global pooling',
      'configs/cnn.yaml',
      [
        layers(
          '{type: conv2d, filters: 4, kernelSize: 3}',
          '{type: globalAveragePooling2d}',
          '{type: dense, units: 10, activation: softmax}',
        ),
      ],
      /GlobalAveragePooling2D/,
    ],
    ['an activation the step does not have', 'configs/cnn.yaml', ['model.layers.3.activation=elu'], /activation elu/],
    ['a regularizer', 'configs/cnn.yaml', ['model.layers.1.kernelRegularizer={l2: 0.01}'], /kernelRegularizer/],
    ['batch norm on another axis', 'configs/cnn.yaml', ['model.layers.2.axis=1'], /axis other than the last/],
    ['momentum', 'configs/cnn.yaml', ['optimizer={type: momentum, learningRate: 0.01, momentum: 0.9}'], /optimizer/],
    ['sparse labels', 'configs/cnn.yaml', ['loss=sparseCategoricalCrossentropy'], /loss|sparse/],
  ];
  it.skipIf(!load.ok).each(REJECTED)('leaves %s to tfjs, saying why', async (_, file, overrides, reason) => {
    await tf.setBackend('onednn');
    const { config, model } = await compiled(file, overrides);
    const labelFormat = config.loss === 'sparseCategoricalCrossentropy' ? 'sparse' : 'oneHot';
    const got = layerStackStep(model, { ...stepOptions(config), labelFormat });
    expect(got.ok).toBe(false);
    expect(!got.ok && got.reason).toMatch(reason);
    // and the loop says so in its kind, which the run log records
    expect(makeTrainStep(model, { ...stepOptions(config), labelFormat }).kind).toMatch(/^tfjs trainOnBatch/);
    model.dispose();
  });

  it.skipIf(!load.ok)('leaves frozen layers to tfjs', async () => {
    await tf.setBackend('onednn');
    const { model } = await compiled('configs/cnn.yaml');
    model.layers[2]!.trainable = false;
    expect(planLayerStack(model)).toMatchObject({ ok: false, reason: expect.stringMatching(/frozen/) });
    model.dispose();
  });

  it.skipIf(!load.ok)('keeps the tensor count flat across steps (dropout masks included)', async () => {
    await tf.setBackend('onednn');
    const { config, model } = await compiled('configs/cnn.yaml');
    const { step } = makeTrainStep(model, stepOptions(config));
    const { x, labels } = batch(0, 16);
    await step(x, labels); // the first step makes Adam's moments
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await step(x, labels);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.skipIf(!load.ok)(
    "writes every variable in its own buffer from the second step on: biases, batch norm's and Adam's small ones too",
    async () => {
      await tf.setBackend('onednn');
      const backend = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } };
      for (const file of ['configs/cnn.yaml', 'configs/ann.yaml']) {
        const { config, model } = await compiled(file);
        const { step } = makeTrainStep(model, stepOptions(config));
        const { x, labels } = batch(0, 16);
        const adam = model.optimizer as unknown as { accumulatedFirstMoment: { variable: tf.Variable }[] };
        const buffers = () =>
          [...model.weights.map((w) => w.read()), ...adam.accumulatedFirstMoment.map((s) => s.variable)].map(
            (v) => backend.data.get(v.dataId).values,
          );
        await step(x, labels); // the first step moves the initial values into buffers the backend owns
        const before = buffers();
        await step(x, labels);
        const after = buffers();
        expect(after.length, file).toBeGreaterThan(model.weights.length);
        const moved = after.flatMap((b, i) => (b === before[i] ? [] : [`${i} (${b.length} floats)`]));
        expect(moved, file).toEqual([]);
        model.dispose();
      }
    },
  );

  it.skipIf(!load.ok)('refuses descriptions and buffers that do not fit, with an error, not a crash', () => {
    const addon = (load.ok && (loadAddon() as { ok: true; addon: OnednnAddon }).addon) as OnednnAddon;
    const w = new Float32Array(4 * 3),
      b = new Float32Array(3);
    const call = (x: Float32Array, description: number[], newW: Float32Array) =>
      addon.layerStackStep(
        x,
        new Float32Array(6),
        2,
        [description],
        [w, b],
        [newW, new Float32Array(3)],
        [],
        [],
        [null, null],
        [null, null],
        [null],
        0,
        0,
        new Float32Array([0.1]),
        new Float64Array(5),
      );
    expect(() => call(new Float32Array(8), [1, 4, 3], new Float32Array(12))).not.toThrow();
    expect(() => call(new Float32Array(10), [1, 4, 3], new Float32Array(12))).toThrow(/takes 4 floats per sample/);
    expect(() => call(new Float32Array(8), [1, 4, 3], new Float32Array(11))).toThrow(/new param 0 holds 11 floats/);
    expect(() => call(new Float32Array(8), [9, 4, 3], new Float32Array(12))).toThrow(/unknown layer kind 9/);
    expect(() => call(new Float32Array(8), [1, 4], new Float32Array(12))).toThrow(/too short/);
  });
});
