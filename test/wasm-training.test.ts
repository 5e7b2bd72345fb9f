import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initWasmBackend } from '../src/backend/wasm/index.js';

/** The project's CNN, built directly so this test does not depend on the config layer. */
function cnn(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [28, 28] }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, kernelInitializer: init(1) }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, kernelInitializer: init(2) }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, kernelInitializer: init(3) }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return model;
}

/** Dropout draws its masks through Math.random: make them the same on every run. */
function seededMathRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

beforeAll(async () => {
  tf.enableProdMode();
  vi.spyOn(Math, 'random').mockImplementation(seededMathRandom(42));
  await initWasmBackend();
  await tf.setBackend('wasm');
});
afterAll(() => vi.restoreAllMocks());

describe('training the CNN on the wasm backend', () => {
  it('gives a finite loss that falls over a few steps on one fixed batch', async () => {
    const model = cnn();
    const xs = tf.randomUniform([16, 28, 28], 0, 1, 'float32', 7);
    const ys = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 10),
        'int32',
      ),
      10,
    );
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) losses.push((await model.trainOnBatch(xs, ys)) as number);
    expect(losses.every(Number.isFinite), `losses ${losses}`).toBe(true);
    expect(losses[4]!, `losses ${losses}`).toBeLessThan(losses[0]! * 0.8);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('does not leak tensors from one step to the next', async () => {
    const model = cnn();
    const xs = tf.randomUniform([8, 28, 28], 0, 1, 'float32', 8);
    const ys = tf.oneHot(tf.range(0, 8, 1, 'int32') as tf.Tensor1D, 10);
    await model.trainOnBatch(xs, ys); // burn-in: optimizer slots are created on the first step
    const backend = tf.backend() as BackendWasm;
    const before = { tensors: tf.memory().numTensors, buffers: backend.numDataIds() };
    await model.trainOnBatch(xs, ys);
    // Buffers too: our kernels allocate heap scratch that the engine does not see as tensors.
    expect({ tensors: tf.memory().numTensors, buffers: backend.numDataIds() }).toEqual(before);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
