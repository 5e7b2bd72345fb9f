import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel, makeOptimizer } from '../src/model/compile.js';
import { loadModelDir, saveModelDir } from '../src/model/io.js';
import { LAYER_BUILDERS } from '../src/model/layers.js';
import { formatSummary, summarize } from '../src/model/summary.js';
import { annSeed, cnn } from './helpers/specs.js';

const compile = (spec: object, seed = 1) => compileModel(spec as never, [28, 28], seed);

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

describe('compileModel', () => {
  it("gives the notebook ANN Keras's parameter counts per layer", () => {
    const s = summarize(compile(annSeed));
    expect(s.layers.map((l) => l.params)).toEqual([0, 401_920, 0, 65_664, 0, 1_290, 0]);
    expect(s.layers[0]!.outputShape).toEqual([null, 784]);
    expect(s.totalParams).toBe(468_874);
  });

  it("gives the notebook CNN Keras's counts: 601,578 in all, 384 non-trainable", () => {
    const s = summarize(compile(cnn));
    expect(s.layers.map((l) => l.params)).toEqual([0, 320, 128, 0, 9_248, 128, 0, 0, 0, 589_952, 512, 0, 0, 1_290, 0]);
    expect([s.totalParams, s.trainableParams, s.nonTrainableParams]).toEqual([601_578, 601_194, 384]);
    expect(s.layers[7]!.outputShape).toEqual([null, 12, 12, 32]);
    expect(s.layers.slice(0, 8).map((l) => l.name)).toEqual([
      'reshape_1',
      'conv2d_1',
      'batch_normalization_1',
      'activation_1',
      'conv2d_2',
      'batch_normalization_2',
      'activation_2',
      'max_pooling2d_1',
    ]);
  });

  it('prints a Keras-style table with totals', () => {
    const text = formatSummary(summarize(compile(annSeed)));
    expect(text).toMatch(/dense_\w+ \(Dense\)\s+\(None, 512\)\s+401,920/);
    expect(text).toContain('Total params: 468,874');
    expect(text).toContain('Non-trainable params: 0');
  });

  it('gives the same initial weights for the same seed and different ones for another', () => {
    const weights = (seed: number) => compile(annSeed, seed).getWeights()[0]!.dataSync().slice(0, 20);
    expect(weights(7)).toEqual(weights(7));
    expect(weights(7)).not.toEqual(weights(8));
  });

  it('compiles every metric the schema offers', async () => {
    const { METRICS } = await import('../src/config/names.js');
    const model = compile({ ...annSeed, metrics: [...METRICS] });
    const out = await model.trainOnBatch(tf.ones([2, 28, 28]), tf.oneHot([1, 2], 10));
    expect(out).toHaveLength(1 + METRICS.length);
  });

  it('builds a model whose output is one probability row per sample', () => {
    const out = compile(cnn).predict(tf.ones([3, 28, 28])) as tf.Tensor;
    expect(out.shape).toEqual([3, 10]);
    expect(Array.from(out.sum(-1).dataSync()).every((v) => Math.abs(v - 1) < 1e-5)).toBe(true);
  });
});

const EVERY_LAYER: Record<keyof typeof LAYER_BUILDERS, object> = {
  flatten: {},
  reshape: { targetShape: [28, 28, 1] },
  dense: {
    units: 4,
    activation: 'relu',
    kernelInitializer: { type: 'randomNormal', stddev: 0.1 },
    kernelRegularizer: { l2: 0.01 },
  },
  activation: { activation: 'tanh' },
  conv2d: { filters: 2, kernelSize: [3, 3], strides: 2, padding: 'same', biasInitializer: 'ones' },
  maxPooling2d: { poolSize: 2 },
  averagePooling2d: { poolSize: [2, 2], strides: 1 },
  globalAveragePooling2d: {},
  globalMaxPooling2d: {},
  zeroPadding2d: { padding: 1 },
  batchNormalization: { momentum: 0.9, gammaInitializer: 'ones' },
  dropout: { rate: 0.5 },
};

describe('LAYER_BUILDERS', () => {
  it.each(Object.entries(EVERY_LAYER))('builds a tfjs %s layer from its config args', (type, args) => {
    const layer = LAYER_BUILDERS[type as keyof typeof LAYER_BUILDERS](args as never, () => 3);
    expect(layer.getClassName().toLowerCase()).toBe(type.toLowerCase().replace('layer', ''));
  });
});

describe('makeOptimizer', () => {
  it.each([
    [{ type: 'sgd', learningRate: 0.1 }, 'SGD'],
    [{ type: 'momentum', learningRate: 0.1, momentum: 0.9 }, 'Momentum'],
    [{ type: 'adam' }, 'Adam'],
    [{ type: 'rmsprop', learningRate: 0.001 }, 'RMSProp'],
    [{ type: 'adagrad', learningRate: 0.1 }, 'Adagrad'],
    [{ type: 'adadelta' }, 'Adadelta'],
    [{ type: 'adamax' }, 'Adamax'],
  ])('builds %o as tfjs %s', (spec, className) => {
    expect(makeOptimizer(spec as never).getClassName()).toBe(className);
  });

  it('passes hyperparameters through under their tfjs names', () => {
    const adam = makeOptimizer({ type: 'adam', learningRate: 0.01, beta1: 0.8 } as never).getConfig();
    expect(adam).toMatchObject({ learningRate: 0.01, beta1: 0.8 });
  });
});

describe('saveModelDir / loadModelDir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mnist-run-model-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('round-trips a model so that it predicts exactly the same', async () => {
    const model = compile(cnn);
    const x = tf.randomUniform([4, 28, 28], 0, 1, 'float32', 5);
    await saveModelDir(model, dir);
    const loaded = await loadModelDir(dir);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
