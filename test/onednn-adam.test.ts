import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { acceleratedAdam } from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { relativeError } from './helpers/cross-check.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;

/** Trains a seeded two-layer net for `steps` steps on `backend`; returns every weight. */
async function train(backend: string, optimizer: tf.Optimizer, steps: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }),
  });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [20], units: 16, activation: 'sigmoid', ...init(1) }));
  model.add(tf.layers.dense({ units: 4, activation: 'softmax', ...init(3) }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer });
  const x = tf.randomUniform([32, 20], 0, 1, 'float32', 5);
  const y = tf.oneHot(tf.randomUniform([32], 0, 4, 'int32', 6), 4).toFloat();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

describe(`the one-pass Adam${skipReason}`, () => {
  it.skipIf(!load.ok).each([1, 5])('matches tf.train.adam on the cpu backend after %i steps', async (steps) => {
    const reference = await train('cpu', tf.train.adam(0.01), steps);
    const fused = await train('onednn', acceleratedAdam(0.01), steps);
    const initial = await train('cpu', tf.train.adam(0.01), 0);
    reference.forEach((w, i) => {
      expect(relativeError(w, fused[i]!)).toBeLessThanOrEqual(1e-4);
      expect(relativeError(initial[i]!, w)).toBeGreaterThan(1e-3); // the weights did move
    });
  });

  it('is plain tf.train.adam on other backends', async () => {
    const reference = await train('cpu', tf.train.adam(0.01), 3);
    const same = await train('cpu', acceleratedAdam(0.01), 3);
    expect(same.map((w) => Array.from(w))).toEqual(reference.map((w) => Array.from(w)));
  });
});
