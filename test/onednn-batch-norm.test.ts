import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BATCH_NORM_TRAIN, batchNormTraining, hasBatchNormTraining } from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { batchNormalization, normalizeInTraining } from '../src/model/batch-norm.js';
import { type CheckInput, type Computation, crossCheck, relativeError } from './helpers/cross-check.js';
import { trainThreeSteps } from './helpers/kernels.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-4;

/** What tfjs-layers computes in training: batch moments, then batchNorm with them. */
function reference(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number) {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  return [tf.batchNorm(x, mean, variance, offset, scale, epsilon), mean, variance] as const;
}

/** The fused kernels where the backend has them (onednn), the tfjs ops elsewhere (the cpu reference). */
const fused =
  (output: 0 | 1 | 2, epsilon = 1e-3): Computation =>
  (x, s, o) => {
    const run = hasBatchNormTraining() ? batchNormTraining : reference;
    return run(x!, s!, o!, epsilon)[output];
  };
const inputs = (shape: number[], lo = -1, hi = 1): CheckInput[] => {
  const c = shape[shape.length - 1]!;
  return [{ shape, lo, hi }, { shape: [c], lo: 0.5, hi: 2 }, { shape: [c] }];
};

type Case = [title: string, fn: Computation, inputs: CheckInput[], grads: boolean];
const CASES: Case[] = [
  ['the CNN layer shape, NHWC (threaded: 86,528 elements)', fused(0), inputs([4, 26, 26, 32]), true],
  ['the dense head, rank 2', fused(0), inputs([64, 128]), true],
  ['odd sizes', fused(0), inputs([3, 5, 7, 6]), true],
  ['75 channels: a block of 64, one of 8 and 3 alone, threaded', fused(0), inputs([12, 11, 9, 75]), true],
  ['two rows', fused(0), inputs([2, 9]), true],
  ['a large mean against a small spread', fused(0), inputs([8, 5, 5, 4], 50, 51), true],
  ['epsilon 1e-5', fused(0, 1e-5), inputs([8, 6, 6, 3]), true],
  ['batch mean', fused(1), inputs([16, 26, 26, 32], 2, 5), false],
  ['batch variance (biased, as tf.moments)', fused(2), inputs([16, 26, 26, 32], 2, 5), false],
];

describe(`fused batch normalisation${skipReason}`, () => {
  it.skipIf(!load.ok)('runs natively on onednn only', async () => {
    expect(tf.getKernel(BATCH_NORM_TRAIN, 'onednn')).toBeDefined();
    expect(tf.getKernel(BATCH_NORM_TRAIN, 'cpu')).toBeUndefined();
  });

  // Forward and the gradient in x, scale and offset, through the batch statistics. The batch
  // statistics only feed the moving averages: forward only.
  it.skipIf(!load.ok).each(CASES)('%s matches tfjs ops on cpu', async (_title, fn, ins, grads) => {
    const errors = await crossCheck(fn, ins, { grads });
    expect(errors).toHaveLength(grads ? 4 : 1);
    for (const e of errors) expect(e).toBeLessThanOrEqual(TOL);
  });

  // Against tfjs's own layer on cpu; without offset and scale (where tfjs's layer fails in
  // training) against our layer's tfjs-ops path on cpu.
  it.skipIf(!load.ok).each([
    ['defaults', {}, true],
    ['epsilon 1e-5, momentum 0.9', { epsilon: 1e-5, momentum: 0.9 }, true],
    ['no offset, no scale', { center: false, scale: false }, false],
    ['no scale', { scale: false }, false],
    ['axis 1, not the last (tfjs ops on both)', { axis: 1 }, false],
  ] as const)('the layer trains the same on onednn as on cpu: %s', async (_title, args, stock) => {
    {
      const ref = await trainTiny('cpu', args, stock);
      const got = await trainTiny('onednn', args, false);
      const names = (ws: typeof ref) => ws.map((w) => w.name.replace(/\d+/g, ''));
      expect(names(got)).toEqual(names(ref));
      for (let i = 0; i < ref.length; i++)
        expect(relativeError(ref[i]!.values, got[i]!.values), ref[i]!.name).toBeLessThanOrEqual(TOL);
      // The moving averages did move, so the comparison above covers their update.
      const movingMean = got.find((w) => w.name.includes('moving_mean'))!;
      expect(Math.max(...movingMean.values.map(Math.abs))).toBeGreaterThan(0.01);
    }
  });

  // Along axis 1 on cpu (elementwise ops) = along the last axis of the transposed input on onednn
  // (the fused kernels), forward and gradients.
  it.skipIf(!load.ok)('normalising along axis 1 agrees with the fused kernels on the transposed input', async () => {
    const perm = [0, 2, 3, 1],
      back = [0, 3, 1, 2];
    const fn: Computation = (x, s, o) =>
      tf.getBackend() === 'cpu'
        ? normalizeInTraining(x!, s!, o!, 1e-3, 1)[0]
        : tf.transpose(normalizeInTraining(tf.transpose(x!, perm), s!, o!, 1e-3, 3)[0], back);
    const errors = await crossCheck(fn, [{ shape: [4, 6, 5, 3] }, { shape: [6], lo: 0.5, hi: 2 }, { shape: [6] }], {
      grads: true,
    });
    for (const e of errors) expect(e).toBeLessThanOrEqual(TOL);
  });

  it("trains on the cpu backend without offset and scale, and along axis 1 (tfjs 4.22's own layer fails on both)", async () => {
    for (const args of [{ center: false, scale: false }, { axis: 1 }]) {
      const weights = await trainTiny('cpu', args, false);
      const moving = weights.filter((w) => /moving_(mean|variance)/.test(w.name));
      expect(moving).toHaveLength(2);
      for (const w of moving) expect(w.values.every((v) => Number.isFinite(v) && v !== 0)).toBe(true);
    }
  });

  it('keeps the stock class name and config, so saved models load as tfjs layers', () => {
    const ours = batchNormalization({ momentum: 0.9, epsilon: 1e-4 });
    const stock = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-4 });
    expect(ours.getClassName()).toBe('BatchNormalization');
    expect({ ...ours.getConfig(), name: '' }).toEqual({ ...stock.getConfig(), name: '' });
  });
});

/** Three Adam steps of conv → BatchNormalization (ours or tfjs's) → dense on fixed data; returns every weight. */
function trainTiny(backend: string, args: Parameters<typeof batchNormalization>[0], stock: boolean) {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return trainThreeSteps(
    backend,
    () => [
      // No conv bias: BatchNorm cancels it, so its gradient is rounding noise that Adam would amplify.
      tf.layers.conv2d({
        inputShape: [7, 7, 2],
        filters: 5,
        kernelSize: 3,
        useBias: false,
        kernelInitializer: init(3),
      }),
      stock ? tf.layers.batchNormalization(args) : batchNormalization(args),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, kernelInitializer: init(4) }),
    ],
    { x: [6, 7, 7, 2], y: [6, 3], xLo: 1, xHi: 3 },
  );
}
