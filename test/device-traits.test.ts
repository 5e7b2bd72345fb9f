/**
 * What the loop does with a device's traits, with a stand-in device registered on the cpu backend:
 * the fit check before training, evaluation batches the device can hold, and a lost device between batches.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceTraits, registerDeviceTraits } from '../src/accelerated/index.js';
import { BackendError } from '../src/errors.js';
import { evaluate, inferenceBatchSize } from '../src/train/evaluate.js';
import { checkFitsDevice, trainModel } from '../src/train/loop.js';

let undo: (() => void) | undefined;
afterEach(() => {
  undo?.();
  undo = undefined;
});

function standIn(traits: Partial<DeviceTraits>) {
  undo = registerDeviceTraits('cpu', {
    kind: 'gpu',
    residentBytes: 0, // keeps batches on the host: this is the cpu backend underneath
    checkFits: () => undefined,
    lost: () => undefined,
    ...traits,
  });
}

function tinyModel() {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, activation: 'softmax' })] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd' });
  return model;
}

describe('device traits in the loop', () => {
  it('refuses a model the device cannot hold before training, naming the backend', () => {
    standIn({ checkFits: (_m, batch) => (batch > 32 ? `too big at batch size ${batch}` : undefined) });
    expect(() => checkFitsDevice(tinyModel(), 64)).toThrow(
      new BackendError('the cpu backend cannot train this model: too big at batch size 64'),
    );
    expect(() => checkFitsDevice(tinyModel(), 32)).not.toThrow();
  });

  it('evaluates in batches of 256 where the device holds them, else at the training batch size', () => {
    expect(inferenceBatchSize(tinyModel(), 64)).toBe(256); // no device traits: the cpu backend
    standIn({ checkFits: (_m, batch) => (batch > 100 ? 'too big' : undefined) });
    expect(inferenceBatchSize(tinyModel(), 64)).toBe(64);
    standIn({ checkFits: () => undefined });
    expect(inferenceBatchSize(tinyModel(), 64)).toBe(256);
    expect(inferenceBatchSize(tinyModel(), 512)).toBe(512);
  });

  it('stops between batches with the error of a lost device', async () => {
    let lostAfter = 2;
    const gone = new Error('the GPU device was lost (test)');
    standIn({ lost: () => (lostAfter-- <= 0 ? gone : undefined) });
    const seen: number[] = [];
    const train = { images: new Float32Array(40 * 4).fill(0.5), labels: new Uint8Array(40), count: 40 };
    await expect(
      trainModel({
        model: tinyModel(),
        train,
        sampleShape: [4],
        numClasses: 2,
        labelFormat: 'oneHot',
        metricNames: [],
        epochs: 1,
        batchSize: 10,
        seed: 1,
        callbacks: [{ onBatchEnd: ({ batch }) => void seen.push(batch) }],
      }),
    ).rejects.toBe(gone);
    expect(seen).toEqual([1, 2]);
  });
});

describe('evaluate', () => {
  it('gives what tfjs gives on the whole set, a slice at a time (here 2 slices: 4096 + 904)', async () => {
    const model = tinyModel();
    model.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    const count = 5000;
    const rng = (i: number) => ((i * 7919) % 1000) / 1000;
    const data = {
      images: Float32Array.from({ length: count * 4 }, (_, i) => rng(i)),
      labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
      count,
    };
    const got = await evaluate(model, data, {
      sampleShape: [4],
      numClasses: 2,
      labelFormat: 'oneHot',
      metricNames: ['accuracy'],
      batchSize: 32,
    });
    const x = tf.tensor(data.images, [count, 4]);
    const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 2).toFloat();
    const whole = model.evaluate(x, y, { batchSize: count }) as tf.Scalar[];
    const [loss, accuracy] = await Promise.all(whole.map(async (s) => (await s.data())[0]!));
    expect(got.loss).toBeCloseTo(loss!, 5);
    expect(got.accuracy).toBeCloseTo(accuracy!, 6);
    tf.dispose([x, y, ...whole]);
  });
});
