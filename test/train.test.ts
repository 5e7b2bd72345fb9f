import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../src/errors.js';
import { compileModel } from '../src/model/compile.js';
import { earlyStoppingCallback } from '../src/train/callbacks/early-stopping.js';
import type { Callback, EpochLogs } from '../src/train/callbacks/types.js';
import { type TrainOptions, trainModel } from '../src/train/loop.js';
import { withSeededMathRandom } from '../src/util/random.js';
import { blocks } from './helpers/blocks.js';

const silent = pino({ level: 'silent' });

const mlp = {
  model: {
    layers: [
      { type: 'flatten' },
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 4, activation: 'softmax' },
    ],
  },
  loss: 'categoricalCrossentropy',
  optimizer: { type: 'adam', learningRate: 0.01 },
  metrics: ['accuracy'],
};

function options(extra: Partial<TrainOptions> = {}, spec: object = mlp, seed = 1): TrainOptions {
  return {
    model: compileModel(spec as never, [8, 8], seed),
    train: blocks(256, 11),
    validation: blocks(64, 12),
    sampleShape: [8, 8],
    numClasses: 4,
    labelFormat: 'oneHot',
    metricNames: ['accuracy'],
    epochs: 3,
    batchSize: 32,
    seed,
    callbacks: [],
    ...extra,
  };
}

/** The notebook CNN's layer kinds (conv, BatchNorm, pooling, dropout) at a size the cpu backend trains quickly. */
const smallCnn = {
  ...mlp,
  model: {
    layers: [
      { type: 'reshape', targetShape: [8, 8, 1] },
      { type: 'conv2d', filters: 4, kernelSize: 3 },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 4, activation: 'softmax' },
    ],
  },
};

const losses = (h: EpochLogs[]) => h.map((e) => e.metrics.loss);

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

describe('trainModel', () => {
  it('learns, and reports loss, accuracy and validation metrics per epoch', async () => {
    const history = await trainModel(options({ epochs: 5 }));
    expect(history).toHaveLength(5);
    expect(Object.keys(history[0]!.metrics)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(history[4]!.metrics.loss).toBeLessThan(history[0]!.metrics.loss!);
    expect(history[4]!.metrics.val_accuracy).toBeGreaterThan(0.8);
  });

  it('gives the same losses for the same seed, dropout included, and other losses for another seed', async () => {
    const run = (seed: number) => withSeededMathRandom(seed, () => trainModel(options({}, mlp, seed)));
    expect(losses(await run(3))).toEqual(losses(await run(3)));
    expect(losses(await run(3))).not.toEqual(losses(await run(4)));
  });

  it('does not leak tensors from epoch to epoch', async () => {
    const counts: number[] = [];
    const probe: Callback = { onEpochEnd: () => void counts.push(tf.memory().numTensors) };
    const o = options({ epochs: 4, callbacks: [probe] }, smallCnn);
    await trainModel(o);
    expect(counts[3]).toBe(counts[1]); // epoch 1 is the burn-in: the optimizer creates its slots there
  });

  it('stops between batches when interrupted', async () => {
    let batches = 0;
    const o = options({ interrupted: () => batches >= 3, callbacks: [{ onBatchEnd: () => void batches++ }] });
    await expect(trainModel(o)).rejects.toBeInstanceOf(InterruptedError);
    expect(batches).toBe(3);
  });
});

describe('early stopping', () => {
  it("stops once the monitored value stops improving and restores the best epoch's weights", async () => {
    const o = options({ epochs: 30 });
    let epoch1: Float32Array | undefined;
    const spy: Callback = {
      onEpochEnd: (l) => {
        if (l.epoch === 1) epoch1 = o.model.getWeights()[0]!.dataSync().slice() as Float32Array;
      },
    };
    // An absurd minDelta makes every epoch after the first "no improvement": epoch 1 stays the best.
    const stop = earlyStoppingCallback(
      { monitor: 'val_loss', patience: 1, minDelta: 10, mode: 'auto', restoreBestWeights: true },
      o.model,
      silent,
    );
    o.callbacks = [spy, stop];
    const history = await trainModel(o);
    expect(history).toHaveLength(3); // epoch 2 is within patience, epoch 3 is not
    expect(Array.from(o.model.getWeights()[0]!.dataSync())).toEqual(Array.from(epoch1!));
  });
});
