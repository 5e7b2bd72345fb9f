import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_GRAD,
  ADAM_UPDATE,
  acceleratedAdam,
  BATCH_NORM_TRAIN,
  CONV2D,
  type Conv2DActivation,
  conv2dForward,
  DENSE,
  type DenseActivation,
  denseForward,
  hasKernel,
  registerFusedTrainStep,
  throughActivation,
} from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { batchNormalization } from '../src/model/batch-norm.js';
import { conv2d } from '../src/model/conv2d.js';
import { dense } from '../src/model/dense.js';
import { makeTrainStep, type StepOptions } from '../src/train/step.js';
import { crossCheck, relativeError, seededFloats } from './helpers/cross-check.js';
import { countKernel } from './helpers/kernels.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-4;
const stepOptions = (sampleShape: number[]): StepOptions => ({
  sampleShape,
  numClasses: 2,
  labelFormat: 'oneHot',
  metricNames: [],
});

type Make = {
  conv2d: typeof conv2d;
  batchNormalization: typeof batchNormalization;
  dense: typeof dense;
  adam: (lr: number) => tf.Optimizer;
};
const OURS: Make = { conv2d, batchNormalization, dense, adam: acceleratedAdam };
const STOCK: Make = {
  conv2d: tf.layers.conv2d,
  batchNormalization: tf.layers.batchNormalization,
  dense: tf.layers.dense,
  adam: tf.train.adam,
};

/** A small CNN of every accelerated layer, trained 3 Adam steps on seeded data; returns every weight. */
async function trainCnn(backend: string, make: Make): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ targetShape: [6, 6, 1], inputShape: [6, 6] }),
      make.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      make.batchNormalization(),
      tf.layers.flatten(),
      make.dense({ units: 5, activation: 'sigmoid', kernelInitializer: init(2) }),
      make.batchNormalization(),
      make.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: make.adam(0.05), loss: 'categoricalCrossentropy' });
  const x = tf.tensor(seededFloats(8 * 36, 5), [8, 6, 6]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3).toFloat();
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
  const weights = model.weights.map((w) => w.read().dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

/** Runs `f` with `kernelName` unregistered on `backendName`, as a backend that does not implement it. */
async function withoutKernel<T>(kernelName: string, backendName: string, f: () => Promise<T>): Promise<T> {
  const config = tf.getKernel(kernelName, backendName)!;
  tf.unregisterKernel(kernelName, backendName);
  try {
    return await f();
  } finally {
    tf.registerKernel(config);
  }
}

describe('on a backend that registers no accelerated kernel (cpu)', () => {
  it('has none of them', async () => {
    await tf.setBackend('cpu');
    for (const name of [DENSE, CONV2D, BATCH_NORM_TRAIN, ACTIVATION_GRAD, ADAM_UPDATE] as const)
      expect(hasKernel(name), name).toBe(false);
  });

  it("trains a model of our layers and Adam exactly as tfjs's own layers and tf.train.adam", async () => {
    const ours = await trainCnn('cpu', OURS);
    const stock = await trainCnn('cpu', STOCK);
    expect(ours.map((w) => Array.from(w))).toEqual(stock.map((w) => Array.from(w)));
  });

  it('trains through model.trainOnBatch, saying why', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({ layers: [dense({ inputShape: [4], units: 2, activation: 'softmax' })] });
    model.compile({ optimizer: acceleratedAdam(0.01), loss: 'categoricalCrossentropy' });
    const options = stepOptions([4]);
    expect(makeTrainStep(model, options).kind).toMatch(/^tfjs trainOnBatch \(native step not taken: not on the/);
    model.dispose();
  });
});

describe(`the accelerated surface on onednn${skipReason}`, () => {
  it.skipIf(!load.ok)('updates each variable with one Adam kernel call', async () => {
    await tf.setBackend('onednn');
    const model = tf.sequential({ layers: [dense({ inputShape: [4], units: 3 }), dense({ units: 2 })] });
    model.compile({ optimizer: acceleratedAdam(0.01), loss: 'meanSquaredError' });
    const [x, y] = [tf.ones([5, 4]), tf.ones([5, 2])];
    expect(await countKernel(ADAM_UPDATE, () => model.trainOnBatch(x, y))).toBe(4); // two kernels, two biases
    tf.dispose([x, y]);
    model.dispose();
  });

  it.skipIf(!load.ok).each(['relu', 'sigmoid'] as const)(
    "throughActivation's tfjs-ops path matches the kernel: %s",
    async (activation) => {
      await tf.setBackend('onednn');
      const through = () =>
        tf.tidy(() => {
          const dy = tf.tensor(seededFloats(600, 1), [20, 30]);
          const y = tf.tensor(seededFloats(600, 2, activation === 'relu' ? -1 : 0, 1), [20, 30]);
          return throughActivation(dy, y, activation).dataSync().slice() as Float32Array;
        });
      const kernel = through();
      const ops = await withoutKernel(ACTIVATION_GRAD, 'onednn', async () => through());
      expect(relativeError(kernel, ops)).toBeLessThanOrEqual(1e-6);
    },
  );

  const LAYERS: [title: string, fn: Parameters<typeof crossCheck>[0], shapes: number[][]][] = [
    ...(['relu', 'sigmoid'] as DenseActivation[]).map((a): (typeof LAYERS)[number] => [
      `dense, ${a}`,
      (x, k, b) =>
        hasKernel(DENSE) ? denseForward(x!, k!, b!, a) : tf.fused.matMul({ a: x!, b: k!, bias: b, activation: a }),
      [[9, 7], [7, 5], [5]],
    ]),
    [
      'conv2d, relu',
      (x, f, b) =>
        hasKernel(CONV2D)
          ? conv2dForward(x as tf.Tensor4D, f as tf.Tensor4D, b!, {
              strides: [1, 1],
              pad: 'same',
              activation: 'relu' as Conv2DActivation,
            })
          : tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: f as tf.Tensor4D,
              strides: 1,
              pad: 'same',
              bias: b,
              activation: 'relu',
            }),
      [[2, 5, 5, 3], [3, 3, 3, 4], [4]],
    ],
  ];
  it.skipIf(!load.ok).each(LAYERS)(
    '%s: gradients match tfjs on cpu when the backend has no activation-gradient kernel',
    async (_title, fn, shapes) => {
      const errors = await withoutKernel(ACTIVATION_GRAD, 'onednn', () =>
        crossCheck(
          fn,
          shapes.map((shape) => ({ shape })),
          { grads: true },
        ),
      );
      expect(errors).toHaveLength(4);
      for (const e of errors) expect(e).toBeLessThanOrEqual(TOL);
    },
  );
});

describe('the whole-step registry', () => {
  it("gives makeTrainStep the active backend's step, named as it was registered", async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2 })] });
    const calls: number[] = [];
    const unregister = registerFusedTrainStep('cpu', {
      name: 'a test step',
      plan: () => ({
        ok: true,
        step: (_x, _t, rows) => {
          calls.push(rows);
          return [0.5];
        },
      }),
    });
    try {
      const { kind, step } = makeTrainStep(model, stepOptions([2]));
      expect(kind).toBe('a test step');
      expect(await step(new Float32Array(6), new Uint8Array([0, 1, 1]))).toEqual([0.5]);
      expect(calls).toEqual([3]);
    } finally {
      unregister();
    }
    expect(makeTrainStep(model, stepOptions([2])).kind).toMatch(/^tfjs trainOnBatch/); // and gone again
    model.dispose();
  });
});
