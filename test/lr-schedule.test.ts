import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LrScheduleSpec } from '../src/config/schema.js';
import { learningRateOf, lrScheduleCallback } from '../src/train/callbacks/lr-schedule.js';

const silent = pino({ level: 'silent' });

/** Drives a schedule through `values.length` epochs whose monitored loss takes these values. */
async function rates(spec: LrScheduleSpec, values: number[], optimizer: tf.Optimizer = tf.train.adam(0.1)) {
  const cb = lrScheduleCallback(spec, optimizer, silent);
  const seen: number[] = [];
  for (const [i, loss] of values.entries()) {
    await cb.onEpochBegin!(i + 1);
    seen.push(learningRateOf(optimizer));
    await cb.onEpochEnd!({ epoch: i + 1, metrics: { loss, val_loss: loss }, seconds: 1, samplesPerSecond: 1 });
  }
  return seen.map((v) => Number(v.toPrecision(6)));
}

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

describe('learning-rate schedules', () => {
  it('step: multiplies by gamma every stepSize epochs', async () => {
    expect(await rates({ type: 'step', stepSize: 2, gamma: 0.5 }, [1, 1, 1, 1, 1])).toEqual([
      0.1, 0.1, 0.05, 0.05, 0.025,
    ]);
  });

  it('exponential: multiplies by gamma every epoch', async () => {
    expect(await rates({ type: 'exponential', gamma: 0.9 }, [1, 1, 1])).toEqual([0.1, 0.09, 0.081]);
  });

  it('reduceOnPlateau: cuts the rate after patience epochs without improvement, not below the floor', async () => {
    const spec = {
      type: 'reduceOnPlateau',
      monitor: 'val_loss',
      factor: 0.1,
      patience: 1,
      minDelta: 0,
      minLearningRate: 0.0005,
      mode: 'auto',
    } as const;
    expect(await rates(spec, [1, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1])).toEqual([
      0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001,
    ]);
  });

  it('works on SGD, whose rate tfjs caches as a tensor', async () => {
    const sgd = tf.train.sgd(0.2);
    expect(await rates({ type: 'exponential', gamma: 0.5 }, [1, 1], sgd)).toEqual([0.2, 0.1]);
  });
});
