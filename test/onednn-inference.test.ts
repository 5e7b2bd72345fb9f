import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fusedPredict } from '../src/accelerated/index.js';
import { loadAddon, type OnednnAddon } from '../src/backend/onednn/addon.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { makeInference } from '../src/model/inference.js';
import { labelTensor } from '../src/train/batches.js';
import { scoreSamples } from '../src/train/evaluate.js';
import { relativeError, seededFloats } from './helpers/cross-check.js';
import { batch, compiled } from './helpers/dense-stack.js';
import { CNN_VARIANTS, cnnLayers } from './helpers/layer-stack-variants.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-5;

const layers = cnnLayers;

/** The training step's variants (test/helpers/layer-stack-variants.ts), and what only inference takes. */
const VARIANTS: [string, string, string[]][] = [
  ['the notebook CNN', 'configs/cnn.yaml', []],
  ...CNN_VARIANTS.map(([title, l]): [string, string, string[]] => [title, 'configs/cnn.yaml', [l]]),
  ['the ANN', 'configs/ann.yaml', []],
  ['the seeded ANN (sigmoid)', 'configs/ann-seed.yaml', []],
  ['a regularizer (training only)', 'configs/cnn.yaml', ['model.layers.1.kernelRegularizer={l2: 0.01}']],
  [
    'a dropout on top (its input passes through)',
    'configs/ann.yaml',
    ['model.layers=[{type: flatten}, {type: dense, units: 10, activation: softmax}, {type: dropout, rate: 0.5}]'],
  ],
];

/**
 * Every weight set to seeded values (moving variances positive), so that batch norm's moving
 * statistics, scales and offsets all take part; a fresh model's are zeros and ones.
 */
function scramble(model: tf.LayersModel) {
  model.weights.forEach((w, i) => {
    const variance = w.name.includes('moving_variance');
    const [lo, hi] = variance ? [0.5, 2] : [-0.3, 0.3];
    w.write(tf.tensor(seededFloats(w.shape.reduce((a, b) => a! * b!, 1)!, 900 + i, lo, hi), w.shape as number[]));
  });
}

/** model.predict's outputs, through tfjs's layers op by op on the active backend. */
const tfjsPredict = (model: tf.LayersModel, x: Float32Array, rows: number) =>
  tf.tidy(() => (model.predict(tf.tensor(x, [rows, 28, 28])) as tf.Tensor).dataSync() as Float32Array);

describe(`the native layer-stack forward pass (inference)${skipReason}`, () => {
  it.skipIf(!load.ok).each(VARIANTS)(
    '%s: matches model.predict on onednn and on cpu',
    async (_name, file, overrides) => {
      await tf.setBackend('onednn');
      const { model } = await compiled(file, overrides);
      scramble(model);
      const plan = fusedPredict(model);
      expect(plan.ok && plan.name).toMatch(/^native layer-stack forward/);
      if (!plan.ok) return;
      const rows = 37; // not a multiple of any block size
      const { x } = batch(3, rows);
      const got = plan.predict(x, rows);
      expect(relativeError(got, tfjsPredict(model, x, rows))).toBeLessThanOrEqual(TOL);
      await tf.setBackend('cpu'); // the weights move with the model's variables
      expect(relativeError(got, tfjsPredict(model, x, rows)), 'cpu').toBeLessThanOrEqual(TOL);
      await tf.setBackend('onednn');
      model.dispose();
    },
    60_000,
  );

  it.skipIf(!load.ok)('is what evaluation and predictions take on onednn; cpu keeps model.predict', async () => {
    await tf.setBackend('onednn');
    const { model } = await compiled('configs/cnn.yaml');
    model.layers[2]!.trainable = false; // frozen layers only change training
    expect(makeInference(model, [28, 28]).kind).toMatch(/^native layer-stack forward/);
    await tf.setBackend('cpu');
    expect(makeInference(model, [28, 28]).kind).toMatch(/^tfjs model\.predict \(native forward not taken: not on/);
    await tf.setBackend('onednn');
    model.dispose();
  });

  it.skipIf(!load.ok)('leaves layers it does not run to model.predict, saying why', async () => {
    await tf.setBackend('onednn');
    const { model } = await compiled('configs/cnn.yaml', [
      layers(
        '{type: conv2d, filters: 4, kernelSize: 3}',
        '{type: globalAveragePooling2d}',
        '{type: dense, units: 10, activation: softmax}',
      ),
    ]);
    const inference = makeInference(model, [28, 28]);
    expect(inference.kind).toMatch(/native forward not taken: layer .*GlobalAveragePooling2D/);
    const { x } = batch(0, 5);
    const out = inference.outputs(x, 5);
    expect(out.shape).toEqual([5, 10]);
    expect(relativeError(out.dataSync() as Float32Array, tfjsPredict(model, x, 5))).toBe(0);
    out.dispose();
    model.dispose();
  });

  it.skipIf(!load.ok)(
    "scores a set as model.evaluate does, and keeps every sample's outputs from the same pass",
    async () => {
      for (const backend of ['onednn', 'cpu']) {
        await tf.setBackend(backend);
        const { config, model } = await compiled('configs/cnn.yaml', [
          'metrics=[accuracy, meanSquaredError, categoricalCrossentropy]',
        ]);
        scramble(model);
        const count = 300; // a batch of 256 and one of 44
        const { x, labels } = batch(5, count);
        const o = {
          sampleShape: [28, 28],
          numClasses: 10,
          labelFormat: 'oneHot' as const,
          metricNames: config.metrics,
        };
        const before = tf.memory().numTensors;
        const scored = await scoreSamples(model, { images: x, labels, count }, { ...o, batchSize: 64 }, true);
        expect(tf.memory().numTensors, backend).toBe(before);
        const xs = tf.tensor(x, [count, 28, 28]);
        const ys = labelTensor(labels, 10, 'oneHot');
        const want = (model.evaluate(xs, ys, { batchSize: 256 }) as tf.Scalar[]).map((s) => s.dataSync()[0]!);
        const got = ['loss', ...config.metrics].map((k) => scored.metrics[k]!);
        expect(relativeError(Float32Array.from(got), Float32Array.from(want)), backend).toBeLessThanOrEqual(TOL);
        expect(relativeError(scored.outputs!, tfjsPredict(model, x, count)), backend).toBeLessThanOrEqual(TOL);
        tf.dispose([xs, ys]);
        model.dispose();
      }
      await tf.setBackend('onednn');
    },
    120_000,
  );

  it.skipIf(!load.ok)('refuses buffers that do not fit, with an error, not a crash', () => {
    const addon = (loadAddon() as { ok: true; addon: OnednnAddon }).addon;
    const w = new Float32Array(4 * 3),
      b = new Float32Array(3);
    const call = (x: Float32Array, description: number[], out: Float32Array) =>
      addon.layerStackPredict(x, 2, [description], [w, b], [null, null], out);
    expect(() => call(new Float32Array(8), [1, 4, 3], new Float32Array(6))).not.toThrow();
    expect(() => call(new Float32Array(10), [1, 4, 3], new Float32Array(6))).toThrow(/takes 4 floats per sample/);
    expect(() => call(new Float32Array(8), [1, 4, 3], new Float32Array(5))).toThrow(/out holds 5 floats/);
    expect(() => call(new Float32Array(8), [9, 4, 3], new Float32Array(6))).toThrow(/unknown layer kind 9/);
    expect(() =>
      addon.layerStackPredict(new Float32Array(8), 2, [[1, 4, 3]], [w], [null, null], new Float32Array(6)),
    ).toThrow(/2 entries per layer/);
  });
});
