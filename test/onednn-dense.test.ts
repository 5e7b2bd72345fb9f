import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DENSE, type DenseActivation, denseForward, hasDenseKernel } from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { dense } from '../src/model/dense.js';
import { type Computation, crossCheck } from './helpers/cross-check.js';
import { countKernel, expectAllClose, trainThreeSteps } from './helpers/kernels.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-4;

/** The dense kernel where the backend has it (onednn), tfjs's fused matMul elsewhere (the cpu reference). */
const viaKernel =
  (activation: DenseActivation, withBias: boolean): Computation =>
  (x, k, b) =>
    hasDenseKernel()
      ? denseForward(x!, k!, withBias ? b! : null, activation)
      : tf.fused.matMul({ a: x!, b: k!, bias: withBias ? b : undefined, activation });

type Case = [
  title: string,
  activation: DenseActivation,
  bias: boolean,
  shape: [rows: number, inputs: number, units: number],
];
const CASES: Case[] = [
  ['the ANN first layer, linear', 'linear', true, [32, 784, 512]], // 12.8M multiply-adds: threaded
  ['relu', 'relu', true, [17, 33, 9]],
  ['sigmoid', 'sigmoid', true, [17, 33, 9]],
  ['no bias', 'linear', false, [7, 5, 6]],
  ['relu, no bias, one row', 'relu', false, [1, 5, 3]],
  ['the CNN head (4608 inputs)', 'linear', true, [8, 4608, 128]], // 4.7M multiply-adds: threaded
];

describe(`dense kernels${skipReason}`, () => {
  it.skipIf(!load.ok)('run natively on onednn only', () => {
    expect(tf.getKernel(DENSE, 'onednn')).toBeDefined();
    expect(tf.getKernel(DENSE, 'cpu')).toBeUndefined();
  });

  it.skipIf(!load.ok).each(CASES)(
    '%s matches tfjs on cpu, forward and gradients',
    async (_t, activation, bias, [rows, n, units]) => {
      const inputs = [{ shape: [rows, n] }, { shape: [n, units] }, { shape: [units] }];
      // Without a bias the third input is unused: its gradient is zero on both sides.
      const errors = await crossCheck(viaKernel(activation, bias), bias ? inputs : inputs.slice(0, 2), { grads: true });
      expect(errors).toHaveLength(bias ? 4 : 3);
      for (const e of errors) expect(e).toBeLessThanOrEqual(TOL);
    },
  );

  it.skipIf(!load.ok).each([
    ['relu (fused)', { activation: 'relu' }],
    ['sigmoid (fused)', { activation: 'sigmoid' }],
    ['tanh (applied after the kernel)', { activation: 'tanh' }],
    ['softmax (applied after the kernel)', { activation: 'softmax' }],
    ['linear, no bias', { useBias: false }],
  ] as const)("the layer trains the same on onednn as tfjs's layer on cpu: %s", async (_t, args) => {
    const ref = await trainTiny('cpu', args, true);
    const got = await trainTiny('onednn', args, false);
    expectAllClose(ref, got, TOL);
  });

  // The model's first layer needs no gradient for its input (the images): that matmul is skipped.
  it.skipIf(!load.ok)('a training step computes no gradient for the model input', async () => {
    await tf.setBackend('onednn');
    const model = tf.sequential({
      layers: [dense({ inputShape: [20], units: 8, activation: 'relu' }), dense({ units: 3 })],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const [x, y] = [tf.ones([4, 20]), tf.ones([4, 3])];
    const matmuls = await countKernel('BatchMatMul', () => model.trainOnBatch(x, y));
    expect(matmuls).toBe(3); // two weight gradients and the gradient into the second layer only
    tf.dispose([x, y]);
    model.dispose();
  });

  it("keeps the stock class name and config, and runs tfjs's path for inputs of rank 3", async () => {
    await tf.setBackend('cpu');
    const ours = dense({ units: 4, activation: 'relu' });
    const stock = tf.layers.dense({ units: 4, activation: 'relu' });
    expect(ours.getClassName()).toBe('Dense');
    expect({ ...ours.getConfig(), name: '' }).toEqual({ ...stock.getConfig(), name: '' });
    const out = ours.apply(tf.ones([2, 3, 5])) as tf.Tensor;
    expect(out.shape).toEqual([2, 3, 4]);
  });
});

/** Three Adam steps of flatten → dense(args) (ours or tfjs's) → dense(2) on fixed data; returns every weight. */
async function trainTiny(backend: string, args: Partial<Parameters<typeof dense>[0]>, stock: boolean) {
  const make = stock ? tf.layers.dense : dense;
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const weights = await trainThreeSteps(
    backend,
    () => [
      tf.layers.flatten({ inputShape: [4, 5] }),
      make({ units: 7, kernelInitializer: init(1), biasInitializer: 'ones', ...args }),
      make({ units: 2, kernelInitializer: init(2) }),
    ],
    { x: [6, 4, 5], y: [6, 2] },
  );
  return weights.map((w) => w.values);
}
