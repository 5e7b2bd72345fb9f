import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CONV2D, type Conv2DActivation, conv2dForward, hasConv2DKernel } from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { conv2d } from '../src/model/conv2d.js';
import { type Computation, crossCheck } from './helpers/cross-check.js';
import { countKernel, expectAllClose, trainThreeSteps } from './helpers/kernels.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const TOL = 1e-4;

type Geometry = { strides: [number, number]; pad: 'valid' | 'same'; activation: Conv2DActivation };
/** The layer kernel where the backend has it (onednn), tfjs's fused conv2d elsewhere (the cpu reference). */
const viaKernel =
  (g: Geometry, withBias: boolean): Computation =>
  (x, w, b) =>
    hasConv2DKernel()
      ? conv2dForward(x as tf.Tensor4D, w as tf.Tensor4D, withBias ? b! : null, g)
      : tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: g.strides,
          pad: g.pad,
          bias: withBias ? b : undefined,
          activation: g.activation,
        });

type Case = [title: string, g: Geometry, bias: boolean, x: number[], filter: number[]];
const CASES: Case[] = [
  [
    'the CNN layer 1 (one input channel)',
    { strides: [1, 1], pad: 'valid', activation: 'linear' },
    true,
    [4, 28, 28, 1],
    [3, 3, 1, 32],
  ],
  // One input channel runs conv.cc's own loops where unpadded, with up to 9 taps and filters in 16s.
  [
    'one input channel, stride 2, 16 filters, no bias',
    { strides: [2, 2], pad: 'valid', activation: 'linear' },
    false,
    [3, 13, 11, 1],
    [3, 3, 1, 16],
  ],
  [
    'one input channel, a 1x5 filter, unequal strides, 48 filters, relu',
    { strides: [1, 2], pad: 'valid', activation: 'relu' },
    true,
    [2, 9, 14, 1],
    [1, 5, 1, 48],
  ],
  [
    'one input channel on oneDNN: 12 taps, 8 filters',
    { strides: [1, 1], pad: 'valid', activation: 'linear' },
    true,
    [2, 10, 10, 1],
    [4, 3, 1, 8],
  ],
  [
    'one input channel on oneDNN: same padding',
    { strides: [1, 1], pad: 'same', activation: 'linear' },
    true,
    [2, 10, 10, 1],
    [3, 3, 1, 16],
  ],
  ['the CNN layer 2', { strides: [1, 1], pad: 'valid', activation: 'linear' }, true, [1, 26, 26, 32], [3, 3, 32, 32]],
  [
    'relu, same padding, odd sizes',
    { strides: [1, 1], pad: 'same', activation: 'relu' },
    true,
    [3, 9, 7, 3],
    [3, 3, 3, 5],
  ],
  [
    'stride 2, same padding, no bias',
    { strides: [2, 2], pad: 'same', activation: 'linear' },
    false,
    [2, 11, 9, 2],
    [3, 3, 2, 4],
  ],
  [
    'unequal strides, 5x2 filter, relu',
    { strides: [2, 1], pad: 'valid', activation: 'relu' },
    true,
    [2, 12, 7, 4],
    [5, 2, 4, 6],
  ],
];

describe(`the conv2d layer kernel${skipReason}`, () => {
  it.skipIf(!load.ok)('runs natively on onednn only', () => {
    expect(tf.getKernel(CONV2D, 'onednn')).toBeDefined();
    expect(tf.getKernel(CONV2D, 'cpu')).toBeUndefined();
  });

  it.skipIf(!load.ok).each(CASES)('%s matches tfjs on cpu, forward and gradients', async (_t, g, bias, x, w) => {
    const inputs = [{ shape: x }, { shape: w }, { shape: [w[3]!] }];
    const errors = await crossCheck(viaKernel(g, bias), bias ? inputs : inputs.slice(0, 2), { grads: true });
    expect(errors).toHaveLength(bias ? 4 : 3);
    for (const e of errors) expect(e).toBeLessThanOrEqual(TOL);
  });

  it.skipIf(!load.ok).each([
    ['linear', {}],
    ['relu (fused)', { activation: 'relu' }],
    ['tanh (applied after the kernel)', { activation: 'tanh' }],
    ['stride 2, same padding, no bias', { strides: 2, padding: 'same', useBias: false }],
  ] as const)("the layer trains the same on onednn as tfjs's layer on cpu: %s", async (_t, args) => {
    const ref = await trainTiny('cpu', args, true);
    const got = await trainTiny('onednn', args, false);
    expectAllClose(ref, got, TOL);
  });

  // The model's first layer needs no gradient for its input (the images): that convolution is skipped.
  it.skipIf(!load.ok)('a training step computes no gradient for the model input', async () => {
    await tf.setBackend('onednn');
    const model = tf.sequential({
      layers: [
        conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3 }),
        conv2d({ filters: 2, kernelSize: 3 }),
        tf.layers.flatten(),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const [x, y] = [tf.ones([2, 8, 8, 1]), tf.ones([2, 32])];
    expect(await countKernel('Conv2DBackpropInput', () => model.trainOnBatch(x, y))).toBe(1); // into the second layer only
    tf.dispose([x, y]);
    model.dispose();
  });

  it("keeps the stock class name and config; dilated convolutions take tfjs's path", async () => {
    await tf.setBackend(load.ok ? 'onednn' : 'cpu');
    const ours = conv2d({ filters: 3, kernelSize: 3, activation: 'relu', dilationRate: 2 });
    const stock = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', dilationRate: 2 });
    expect(ours.getClassName()).toBe('Conv2D');
    expect({ ...ours.getConfig(), name: '' }).toEqual({ ...stock.getConfig(), name: '' });
    const out = ours.apply(tf.ones([1, 9, 9, 2])) as tf.Tensor;
    expect(out.shape).toEqual([1, 5, 5, 3]);
  });
});

/** Three Adam steps of conv2d(args) (ours or tfjs's) → flatten → dense(2) on fixed data; returns every weight. */
async function trainTiny(backend: string, args: Partial<Parameters<typeof conv2d>[0]>, stock: boolean) {
  const make = stock ? tf.layers.conv2d : conv2d;
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const weights = await trainThreeSteps(
    backend,
    () => [
      make({
        inputShape: [7, 6, 2],
        filters: 3,
        kernelSize: 3,
        kernelInitializer: init(1),
        biasInitializer: 'ones',
        ...args,
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, kernelInitializer: init(2) }),
    ],
    { x: [5, 7, 6, 2], y: [5, 2] },
  );
  return weights.map((w) => w.values);
}
