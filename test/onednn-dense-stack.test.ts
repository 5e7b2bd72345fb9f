import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/onednn/addon.js';
import { denseStackStep, planDenseStack } from '../src/backend/onednn/dense-stack.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { makeBatchFeed } from '../src/train/feed.js';
import { makeTrainStep } from '../src/train/step.js';
import { relativeError } from './helpers/cross-check.js';
import { batch, compareWithTfjs, compiled, stepOptions } from './helpers/dense-stack.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-4;

const SGD = 'optimizer={type: sgd, learningRate: 0.1}';
/** SGD's weights move by exactly the gradient, so these check every gradient tightly. */
const VARIANTS: [string, string, string[]][] = [
  ['the notebook ANN as written (sigmoid, MSE, SGD)', 'configs/ann-seed.yaml', []],
  ['relu and cross-entropy (the exercise, with SGD)', 'configs/ann.yaml', [SGD]],
  [
    'tanh and linear hidden layers, every metric',
    'configs/ann.yaml',
    [
      SGD,
      'model.layers.2.activation=tanh',
      'model.layers.4.activation=linear',
      'metrics=[accuracy, meanSquaredError, meanAbsoluteError, categoricalCrossentropy]',
    ],
  ],
  [
    'activations inside the dense layers, no bias on one',
    'configs/ann.yaml',
    [
      SGD,
      'model.layers=[{type: flatten}, {type: dense, units: 64, activation: relu, useBias: false}, {type: dense, units: 10, activation: softmax}]',
    ],
  ],
  [
    'cross-entropy with a large SGD step',
    'configs/ann-seed.yaml',
    ['loss=categoricalCrossentropy', 'optimizer={type: sgd, learningRate: 0.5}'],
  ],
  [
    'a deeper, narrower stack',
    'configs/ann.yaml',
    [
      SGD,
      'model.layers=[{type: flatten}, {type: dense, units: 96, activation: relu}, {type: dense, units: 64, activation: sigmoid}, {type: dense, units: 48, activation: tanh}, {type: dense, units: 10, activation: softmax}]',
    ],
  ],
];
/** Adam's runs; see ADAM for their bound. */
const ADAM_VARIANTS: [string, string, string[]][] = [
  ['the notebook ANN after the exercise (relu, cross-entropy, Adam)', 'configs/ann.yaml', []],
  [
    'MSE with Adam, a sigmoid output',
    'configs/ann.yaml',
    ['loss=meanSquaredError', 'model.layers.6.activation=sigmoid'],
  ],
];

/**
 * Adam divides each gradient by its own running magnitude, so a weight whose gradient is at
 * rounding level moves a full learning-rate step either way, and any two float orders of the same
 * sums part there, even within one step from the same state: on the notebook ANN the native step
 * (whose threads each form the first layer's product over half its inputs) differs from tfjs on
 * onednn and on cpu by up to 1.6e-3 on a step, all of it in one bias element of 512 (biases start
 * at zero, so one such step is large beside their scale). Its gradients are held to 1e-4 by the SGD runs
 * above; Adam's runs check the update and its state: every weight within ADAM, and no more than
 * APART of any weight's elements further than 1e-4 of its scale apart, where a wrong gradient or a
 * lost moment moves most of them.
 */
const ADAM = 1e-2;
const APART = 1e-2;

/**
 * Every case is checked against tfjs's own training on onednn, whose kernels the other onednn test
 * files hold to the cpu backend; the notebook's two ANNs also against the cpu backend directly
 * (pure JavaScript: ~0.3 s a step at that size, so not for every variant).
 */
const references = (name: string) =>
  name.startsWith('the notebook ANN') ? (['cpu', 'onednn'] as const) : (['onednn'] as const);

describe(`the native dense-stack training step${skipReason}`, () => {
  it.skipIf(!load.ok).each(VARIANTS)(
    '%s: weights, loss and metrics match tfjs on each of 3 steps',
    async (name, file, overrides) => {
      for (const reference of references(name)) {
        const { weights, logs } = await compareWithTfjs(reference, file, overrides);
        expect(weights).toBeLessThanOrEqual(TOL);
        expect(logs).toBeLessThanOrEqual(TOL);
      }
    },
  );

  // 32 rows split between the threads; 16 do not (one part, products threaded); 37 split unevenly.
  it.skipIf(!load.ok).each([16, 37])('a batch of %i rows matches tfjs too', async (rows) => {
    for (const reference of references('')) {
      const { weights, logs } = await compareWithTfjs(reference, 'configs/ann.yaml', [SGD], 3, 0, rows);
      expect(weights).toBeLessThanOrEqual(TOL);
      expect(logs).toBeLessThanOrEqual(TOL);
    }
  });

  it.skipIf(!load.ok).each(ADAM_VARIANTS)(
    '%s: weights, loss and metrics match tfjs on each of 3 steps',
    async (name, file, overrides) => {
      for (const reference of references(name)) {
        const { weights, logs, apart } = await compareWithTfjs(reference, file, overrides);
        expect(weights).toBeLessThanOrEqual(ADAM);
        expect(apart).toBeLessThanOrEqual(APART);
        expect(logs).toBeLessThanOrEqual(TOL);
      }
    },
  );

  it.skipIf(!load.ok)(
    "Adam's state carries over to tfjs's own step (2 native steps, then 2 through trainOnBatch)",
    async () => {
      const { weights, logs, apart } = await compareWithTfjs('onednn', 'configs/ann.yaml', [], 2, 2);
      expect(weights).toBeLessThanOrEqual(ADAM);
      expect(apart).toBeLessThanOrEqual(APART);
      expect(logs).toBeLessThanOrEqual(TOL);
    },
  );

  it.skipIf(!load.ok)(
    'is what the loop and the benchmark take for the notebook ANNs on onednn, and not on cpu',
    async () => {
      await tf.setBackend('onednn');
      for (const file of ['configs/ann-seed.yaml', 'configs/ann.yaml']) {
        const { config, model } = await compiled(file);
        expect(makeTrainStep(model, stepOptions(config)).kind).toMatch(/^native dense-stack step/);
        model.dispose();
      }
      await tf.setBackend('cpu');
      const { config, model } = await compiled('configs/ann.yaml');
      expect(makeTrainStep(model, stepOptions(config)).kind).toMatch(/not on the onednn backend/);
      model.dispose();
    },
  );

  // Updated in place, or copied to new buffers first when the old ones were read (with SGD the
  // kernels' product then adds its update into the copy): the same arithmetic, bit for bit.
  it.skipIf(!load.ok).each(['configs/ann-seed.yaml', 'configs/ann.yaml'])(
    '%s trains the same in place as into new buffers',
    async (file) => {
      await tf.setBackend('onednn');
      const runs = [];
      for (const readEachStep of [false, true]) {
        const { config, model } = await compiled(file);
        const { step } = makeTrainStep(model, stepOptions(config));
        const ids = new Set<number>();
        for (let i = 0; i < 4; i++) {
          const { x, labels } = batch(i);
          await step(x, labels);
          for (const w of model.trainableWeights) ids.add(w.read().dataId as unknown as number);
          if (readEachStep) for (const w of model.trainableWeights) w.read().dataSync();
        }
        runs.push({ weights: model.trainableWeights.map((w) => w.read().dataSync().slice()), ids: ids.size });
        model.dispose();
      }
      const [inPlace, copied] = runs;
      expect(inPlace!.ids).toBeLessThan(copied!.ids); // the first run did update in place
      inPlace!.weights.forEach((w, i) => {
        const other = copied!.weights[i]!;
        expect(Buffer.from(w.buffer).equals(Buffer.from(other.buffer))).toBe(true);
      });
    },
  );

  const REJECTED: [string, string, string[], RegExp][] = [
    ['a CNN', 'configs/cnn.yaml', [], /Reshape|Conv2D/],
    ['dropout', 'configs/ann.yaml', ['model.layers.3={type: dropout, rate: 0.2}'], /Dropout/],
    ['a regularizer', 'configs/ann.yaml', ['model.layers.1.kernelRegularizer={l2: 0.01}'], /kernelRegularizer/],
    ['momentum', 'configs/ann.yaml', ['optimizer={type: momentum, learningRate: 0.01, momentum: 0.9}'], /optimizer/],
    ['sparse labels', 'configs/ann.yaml', ['loss=sparseCategoricalCrossentropy'], /loss|sparse/],
    ['softmax before the last layer', 'configs/ann.yaml', ['model.layers.2.activation=softmax'], /softmax before/],
    ['two activations in a row', 'configs/ann.yaml', ['model.layers.1.activation=relu'], /does not follow a linear/],
    ['an activation the step does not have', 'configs/ann.yaml', ['model.layers.2.activation=elu'], /activation elu/],
  ];
  it.skipIf(!load.ok).each(REJECTED)('leaves %s to tfjs, saying why', async (_, file, overrides, reason) => {
    await tf.setBackend('onednn');
    const { config, model } = await compiled(file, overrides);
    const labelFormat = config.loss === 'sparseCategoricalCrossentropy' ? 'sparse' : 'oneHot';
    const got = denseStackStep(model, { ...stepOptions(config), labelFormat });
    expect(got.ok).toBe(false);
    expect(!got.ok && got.reason).toMatch(reason);
    model.dispose();
  });

  it.skipIf(!load.ok)('leaves frozen layers to tfjs', async () => {
    await tf.setBackend('onednn');
    const { model } = await compiled('configs/ann.yaml');
    model.layers[2]!.trainable = false;
    expect(planDenseStack(model)).toMatchObject({ ok: false, reason: expect.stringMatching(/frozen/) });
    model.dispose();
  });

  it.skipIf(!load.ok)('keeps the tensor count flat across steps', async () => {
    await tf.setBackend('onednn');
    const { config, model } = await compiled('configs/ann.yaml');
    const { step } = makeTrainStep(model, stepOptions(config));
    const { x, labels } = batch(0);
    await step(x, labels); // the first step makes Adam's moments
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await step(x, labels);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.skipIf(!load.ok)('updates weights in place only while nothing outside can see them', async () => {
    await tf.setBackend('onednn');
    const { config, model } = await compiled('configs/ann-seed.yaml');
    const { step } = makeTrainStep(model, stepOptions(config));
    const kernel = () => model.layers[2]!.trainableWeights[0]!.read();
    const { x, labels } = batch(0);
    await step(x, labels); // the initial weights are tfjs's: assigned new buffers
    const owned = kernel().dataId;
    await step(x, labels);
    expect(kernel().dataId).toBe(owned); // in place
    const read = kernel().dataSync(); // the live array: it has escaped
    const copy = read.slice();
    await step(x, labels);
    expect(kernel().dataId).not.toBe(owned); // so this step assigned a new buffer
    // and what was read did not change (compared as bytes: toEqual walks 400k floats one by one, ~1 s)
    expect(Buffer.from(read.buffer, read.byteOffset, read.byteLength).equals(Buffer.from(copy.buffer))).toBe(true);
    expect(relativeError(copy as Float32Array, kernel().dataSync() as Float32Array)).toBeGreaterThan(0); // while training went on
    model.dispose();
  });

  // 128 rows: the threads split the batch and the first layer's inputs, each copying its part;
  // 20 rows: one part, its samples gathered into one array first.
  it.skipIf(!load.ok).each([
    ['configs/ann.yaml', 128],
    ['configs/ann-seed.yaml', 128],
    ['configs/ann.yaml', 20],
  ] as const)(
    '%s, %i rows: gathering its batch from the whole set trains bit for bit as on the gathered batch',
    async (file, rows) => {
      await tf.setBackend('onednn');
      const { x: set, labels: setLabels } = batch(7, 300);
      const [a, b] = [await compiled(file), await compiled(file)];
      const gathered = makeTrainStep(a.model, stepOptions(a.config));
      const { stepAt } = makeTrainStep(b.model, stepOptions(b.config));
      if (!stepAt) throw new Error('the dense-stack step takes no indices');
      for (let i = 0; i < 3; i++) {
        // A different scattered draw of the set each step, last sample included.
        const at = Uint32Array.from({ length: rows }, (_, r) => (r * 37 + i * 101 + 299) % 300);
        const x = new Float32Array(rows * 784);
        for (const [r, j] of at.entries()) x.set(set.subarray(j * 784, (j + 1) * 784), r * 784);
        const labels = Uint8Array.from(at, (j) => setLabels[j]!);
        const [want, got] = [await gathered.step(x, labels), await stepAt(set, at, labels)];
        expect(got).toEqual(want);
      }
      const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
      expect(weights(b.model)).toEqual(weights(a.model));
      a.model.dispose();
      b.model.dispose();
    },
  );

  it.skipIf(!load.ok)(
    "the loop's feed lets the step gather its batches, except augmented ones, which the step sees as made",
    async () => {
      await tf.setBackend('onednn');
      const { x: images, labels } = batch(3, 400);
      const data = { images, labels, count: 400 };
      const order = Uint32Array.from({ length: 400 }, (_, i) => (i * 163) % 400);
      /** Weights after 3 batches of 128 through the loop's feed, and the feed's kind. */
      const trained = async (transformBatch?: (x: Float32Array) => Float32Array) => {
        const { config, model } = await compiled('configs/ann.yaml');
        const feed = makeBatchFeed(model, data, { ...stepOptions(config), transformBatch });
        for (let b = 0; b < 3; b++) await feed.train(order, b * 128, (b + 1) * 128, 1, b);
        const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
        model.dispose();
        return { kind: feed.kind, weights };
      };
      const own = await trained();
      const copied = await trained((x) => x.slice());
      const inverted = await trained((x) => x.map((v) => 1 - v));
      expect(own.kind).toMatch(/batches gathered by the step from the training set/);
      expect(copied.kind).toMatch(/; batches gathered on the host$/);
      expect(own.weights).toEqual(copied.weights);
      expect(inverted.weights).not.toEqual(copied.weights);
    },
  );

  it.skipIf(!load.ok)("leaves the backend's thread count as it was", async () => {
    await tf.setBackend('onednn');
    const addon = (loadAddon() as { ok: true; addon: import('../src/backend/onednn/addon.js').OnednnAddon }).addon;
    const threads = addon.info().threads;
    const { config, model } = await compiled('configs/ann.yaml');
    const { x, labels } = batch(0);
    await makeTrainStep(model, stepOptions(config)).step(x, labels);
    expect(addon.info().threads).toBe(threads);
    model.dispose();
  });

  it.skipIf(!load.ok)('refuses buffers of the wrong size with an error, not a crash', () => {
    const addon = (loadAddon() as { ok: true; addon: import('../src/backend/onednn/addon.js').OnednnAddon }).addon;
    const w = new Float32Array(4 * 3),
      b = new Float32Array(3);
    const call = (x: Float32Array, targets: Float32Array, newW: Float32Array, at?: unknown) =>
      addon.denseStackStep(
        x,
        targets,
        2,
        [4, 3],
        [0],
        [w, b],
        [newW, new Float32Array(3)],
        [],
        [],
        0,
        0,
        new Float32Array([0.1]),
        new Float64Array(5),
        at as Uint32Array,
      );
    expect(() => call(new Float32Array(8), new Float32Array(6), new Float32Array(12))).not.toThrow();
    // With `at`, x holds the whole set (here 5 samples of 4) and at the batch's 2 rows of it.
    const set = new Float32Array(20);
    expect(() => call(set, new Float32Array(6), new Float32Array(12), Uint32Array.of(4, 0))).not.toThrow();
    expect(() => call(set, new Float32Array(6), new Float32Array(12), Uint32Array.of(1, 5))).toThrow(
      /at\[1\] is 5, expected below 5/,
    );
    expect(() => call(set, new Float32Array(6), new Float32Array(12), Uint32Array.of(1))).toThrow(
      /at holds 1 indices, expected 2/,
    );
    expect(() => call(set, new Float32Array(6), new Float32Array(12), Int32Array.of(1, 2))).toThrow(
      /at must be a Uint32Array/,
    );
    expect(() => call(new Float32Array(19), new Float32Array(6), new Float32Array(12), Uint32Array.of(1, 2))).toThrow(
      /x holds 19 floats, not a whole number of samples/,
    );
    expect(() => call(new Float32Array(7), new Float32Array(6), new Float32Array(12))).toThrow(
      /the input holds 7 floats, expected 8/,
    );
    expect(() => call(new Float32Array(8), new Float32Array(5), new Float32Array(12))).toThrow(
      /the targets holds 5 floats/,
    );
    expect(() => call(new Float32Array(8), new Float32Array(6), new Float32Array(11))).toThrow(
      /new param 0 holds 11 floats/,
    );
  });
});
