import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config/schema.js';
import { DivergedError } from '../src/errors.js';
import { compileModel } from '../src/model/compile.js';
import { divergenceAdvice } from '../src/run/session.js';
import type { Samples } from '../src/train/batches.js';
import { type TrainOptions, trainModel } from '../src/train/loop.js';
import type { TrainStep } from '../src/train/step.js';

const cfg = ConfigSchema.parse({
  model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 4, activation: 'softmax' }] },
  optimizer: { type: 'sgd', learningRate: 100 },
});
const data: Samples = { images: new Float32Array(100 * 16).fill(0.5), labels: new Uint8Array(100), count: 100 };

function options(step: TrainStep, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model: compileModel(cfg, [4, 4], 1),
    train: data,
    sampleShape: [4, 4],
    numClasses: 4,
    labelFormat: 'oneHot',
    metricNames: ['accuracy'],
    epochs: 3,
    batchSize: 10,
    seed: 1,
    callbacks: [],
    step,
    ...extra,
  };
}

/** A step that counts calls and answers `loss(call)`. */
const counting = (loss: (call: number) => number): TrainStep => {
  let call = 0;
  return async () => [loss(++call), 0.5];
};

describe('a diverging run', () => {
  it.each([NaN, Infinity, -Infinity])(
    'stops at the batch whose loss is %s, naming the epoch and batch',
    async (bad) => {
      const o = options(counting((n) => (n === 13 ? bad : 1)));
      const run = trainModel(o);
      await expect(run).rejects.toThrow(DivergedError);
      await expect(run).rejects.toThrow(`training diverged at epoch 2, batch 3 of 10: the batch's loss is ${bad}`);
      o.model.dispose();
    },
  );

  it('stops at the end of the epoch in which a weight became NaN, naming the weight', async () => {
    const o = options(counting(() => 1));
    const kernel = o.model.layers.at(-1)!.getWeights()[0]!;
    let calls = 0;
    o.step = async () => {
      if (++calls === 5) o.model.layers.at(-1)!.setWeights([tf.fill(kernel.shape, NaN), tf.zeros([4])]);
      return [1, 0.5];
    };
    await expect(trainModel(o)).rejects.toThrow(/training diverged at the end of epoch 1: weight .*kernel.* holds NaN/);
    o.model.dispose();
  });

  it('stops when the validation loss is not finite, though training losses were', async () => {
    const o = options(
      counting(() => 1),
      { validation: { ...data, images: new Float32Array(100 * 16).fill(Number.MAX_VALUE) }, epochs: 1 },
    );
    o.model.layers.at(-1)!.setWeights([tf.fill([16, 4], 1e30), tf.zeros([4])]);
    await expect(trainModel(o)).rejects.toThrow(/end of epoch 1: the validation loss is NaN/);
    o.model.dispose();
  });

  it('is told what to change, from its own config', () => {
    expect(divergenceAdvice(cfg)).toMatchInlineSnapshot(
      `"To fix: lower optimizer.learningRate (now 100), or use smaller initial weights (kernelInitializer). No results were written from the diverged model"`,
    );
    const constant = ConfigSchema.parse({
      ...cfg,
      loss: 'meanSquaredError',
      model: {
        layers: [
          { type: 'flatten' },
          { type: 'dense', units: 4, kernelInitializer: { type: 'constant', value: 1e30 } },
        ],
      },
    });
    expect(divergenceAdvice(constant)).toMatchInlineSnapshot(
      `"To fix: lower optimizer.learningRate (now 100), or use categoricalCrossentropy with a softmax last layer, or use a smaller or random initializer at model.layers[1]. No results were written from the diverged model"`,
    );
  });
});
