/** Adam's update as one GPU kernel per variable output: tf.train.adam's arithmetic, checked against the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAM_UPDATE, acceleratedAdam, hasKernel } from '../../src/accelerated/index.js';
import { relativeError } from '../helpers/cross-check.js';
import { useWebgpu } from '../helpers/webgpu.js';

beforeAll(async () => {
  await useWebgpu();
});

/** Trains a seeded net of odd sizes for `steps` steps on `backend`; returns every weight and the kernels of the last step. */
async function train(backend: string, optimizer: tf.Optimizer, steps: number) {
  await tf.setBackend(backend);
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }),
  });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [7], units: 13, activation: 'relu', ...init(1) }));
  model.add(tf.layers.dense({ units: 5, activation: 'softmax', ...init(3) }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer });
  const x = tf.randomUniform([33, 7], -1, 1, 'float32', 5);
  const y = tf.oneHot(tf.randomUniform([33], 0, 5, 'int32', 6), 5).toFloat();
  let kernels: string[] = [];
  for (let i = 0; i < steps; i++) {
    const profile = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    kernels = profile.kernels.map((k) => k.name);
  }
  const weights = await Promise.all(model.getWeights().map(async (w) => new Float32Array(await w.data())));
  tf.dispose([x, y]);
  model.dispose();
  return { weights, kernels };
}

describe('Adam on webgpu', () => {
  it('has the update kernel', () => {
    expect(hasKernel(ADAM_UPDATE)).toBe(true);
  });

  it.each([1, 2, 12])(
    'matches tf.train.adam on the cpu backend after %i steps, one kernel per variable',
    async (steps) => {
      const reference = await train('cpu', tf.train.adam(0.01), steps);
      const gpu = await train('webgpu', acceleratedAdam(0.01), steps);
      const initial = await train('cpu', tf.train.adam(0.01), 0);
      expect(gpu.kernels.filter((k) => k === ADAM_UPDATE)).toHaveLength(4); // 2 kernels, 2 biases
      for (const [i, w] of reference.weights.entries()) {
        expect(relativeError(w, gpu.weights[i]!)).toBeLessThanOrEqual(1e-4);
        expect(relativeError(initial.weights[i]!, w)).toBeGreaterThan(1e-3); // the weights did move
      }
    },
  );
});
