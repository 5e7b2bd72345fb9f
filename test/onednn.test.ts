import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import type { Computation } from './helpers/cross-check.js';
import { type Case, expectClose, MATMUL, positive, sh } from './helpers/kernel-cases.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
// CI must build the addon first (`npx node-gyp rebuild -C native`); without it this file is skipped.
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;
const avx512 = existsSync('/proc/cpuinfo') && /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

const BINARY_OPS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['maximum', tf.maximum],
  ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
];
const BROADCASTS: [string, number[], number[]][] = [
  ['same shape', [4, 7, 3], [4, 7, 3]],
  ['scalar right', [5, 3], []],
  ['scalar left', [], [5, 3]],
  ['row vector', [6, 26, 26, 5], [5]],
  ['column', [9, 1], [1, 11]],
  ['middle axis', [2, 1, 4], [3, 1]],
  ['odd size', [1, 1, 1], [13]],
];
// Gradients where tfjs defines them: not for max/min ties, not for squaredDifference under broadcasting.
const hasGrad = (op: string, how: string) =>
  !['maximum', 'minimum'].includes(op) && (op !== 'squaredDifference' || how === 'same shape');
const BINARY: Case[] = BINARY_OPS.flatMap(([op, f]) =>
  BROADCASTS.map(
    ([how, a, b]): Case => [
      `${op} ${how}`,
      (x, y) => f(x!, y!),
      [{ shape: a }, { shape: b, lo: 0.5, hi: 2 }],
      hasGrad(op, how),
    ],
  ),
);

const UNARY: Case[] = (
  [
    ['relu', tf.relu],
    ['sigmoid', tf.sigmoid],
    ['exp', tf.exp],
    ['tanh', tf.tanh],
    ['square', tf.square],
    ['abs', tf.abs],
    ['neg', tf.neg],
  ] as [string, (x: tf.Tensor) => tf.Tensor][]
).map(([name, f]): Case => [name, (x) => f(x!), sh([3, 37]), true]);
UNARY.push(
  ['log', (x) => tf.log(x!), [positive([3, 37])], true],
  ['sqrt', (x) => tf.sqrt(x!), [positive([3, 37])], true],
);

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
const conv =
  (stride: number | [number, number], pad: Pad, dilation: number | [number, number] = 1): Computation =>
  (x, f) =>
    tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad, 'NHWC', dilation);
const explicit: Pad = [
  [0, 0],
  [1, 2],
  [2, 0],
  [0, 0],
];
const CONV: Case[] = [
  ['conv2d CNN layer 1: 1→32 channels, valid', conv(1, 'valid'), sh([4, 28, 28, 1], [3, 3, 1, 32]), true],
  ['conv2d CNN layer 2: 32→32 channels, valid', conv(1, 'valid'), sh([1, 26, 26, 32], [3, 3, 32, 32]), true],
  ['conv2d stride 2, same padding, odd sizes', conv(2, 'same'), sh([3, 9, 11, 3], [3, 3, 3, 5]), true],
  ['conv2d unequal strides, 5x2 filter', conv([2, 1], 'valid'), sh([2, 12, 7, 4], [5, 2, 4, 6]), true],
  ['conv2d explicit asymmetric padding', conv(1, explicit), sh([2, 6, 5, 2], [3, 3, 2, 3]), true],
  // tfjs has no conv2d gradient for dilation > 1 on any backend: forward only.
  ['conv2d dilation 2, same padding', conv(1, 'same', 2), sh([2, 10, 10, 3], [3, 3, 3, 4]), false],
  ['conv2d 1x1 filter', conv(1, 'valid'), sh([2, 5, 5, 7], [1, 1, 7, 3]), true],
  [
    'fused conv2d bias (the layers path)',
    (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'valid', bias: b! }),
    sh([2, 8, 8, 3], [3, 3, 3, 4], [4]),
    true,
  ],
  [
    'fused conv2d bias+relu',
    (x, f, b) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: f as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: b!,
        activation: 'relu',
      }),
    sh([2, 8, 8, 3], [3, 3, 3, 4], [4]),
    false,
  ],
];

const REDUCTIONS: [string, (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.Tensor][] = [
  ['sum', (x, a, k) => tf.sum(x, a, k)],
  ['mean', (x, a, k) => tf.mean(x, a, k)],
  ['max', (x, a, k) => tf.max(x, a, k)],
  ['min', (x, a, k) => tf.min(x, a, k)],
];
const AXES: [string, number[], number | number[], boolean][] = [
  ['BatchNorm moments axes [0,1,2] of NHWC', [6, 9, 9, 5], [0, 1, 2], false],
  ['last axis, keepDims', [7, 33], -1, true],
  ['first axis', [40, 3], 0, false],
  ['middle axis', [3, 50, 4], 1, false],
  ['all axes', [5, 7, 3], [0, 1, 2], false],
  ['non-adjacent axes (cpu path)', [4, 5, 6], [0, 2], true],
];
const REDUCE: Case[] = REDUCTIONS.flatMap(([op, f]) =>
  AXES.map(
    ([how, shape, axis, keep]): Case => [
      `${op} over ${how}`,
      (x) => f(x!, axis, keep),
      sh(shape),
      op === 'sum' || op === 'mean',
    ],
  ),
);

const maxPool =
  (size: number, stride: number, pad: 'valid' | 'same'): Computation =>
  (x) =>
    tf.maxPool(x as tf.Tensor4D, size, stride, pad);
const OTHER: Case[] = [
  ['maxPool 2x2 stride 2 (the CNN layer)', maxPool(2, 2, 'valid'), sh([4, 24, 24, 32]), true],
  ['maxPool 3x3 stride 2 same padding, odd sizes', maxPool(3, 2, 'same'), sh([2, 9, 7, 3]), true],
  ['maxPool overlapping 3x3 stride 1', maxPool(3, 1, 'valid'), sh([2, 6, 6, 2]), true],
  // After a ReLU many windows hold equal zeros: the gradient must go where the cpu backend sends it.
  [
    'maxPool gradient with ties after relu',
    (x) => tf.maxPool(tf.relu(x!) as tf.Tensor4D, 2, 2, 'valid'),
    sh([3, 8, 8, 4]),
    true,
  ],
  ['softmax over the last axis', (x) => tf.softmax(x!), sh([64, 10]), true],
  ['softmax rank 3, one column', (x) => tf.softmax(x!), sh([2, 3, 1]), true],
  ['relu gradient (Step)', (x) => tf.relu(x!), sh([5, 7, 3]), true],
  ['tile', (x) => tf.tile(x!, [3, 1, 4]), sh([2, 5, 3]), true],
  ['tile a per-channel vector to NHWC', (x) => tf.tile(x!, [4, 6, 6, 1]), sh([1, 1, 1, 8]), true],
  // tfjs-layers slices every batch of fit, evaluate and predict with a gather on axis 0.
  [
    'gather rows, repeated and reordered',
    (x) => tf.gather(x!, tf.tensor1d([3, 0, 3, 1], 'int32')),
    sh([5, 28, 28]),
    true,
  ],
  [
    'gather on a middle axis, 2-D indices',
    (x) => tf.gather(x!, tf.tensor2d([2, 0, 1, 1], [2, 2], 'int32'), 1),
    sh([3, 4, 5]),
    true,
  ],
  ['gather on the last axis', (x) => tf.gather(x!, tf.tensor1d([6, 0], 'int32'), -1), sh([4, 7]), true],
  ['gather nothing', (x) => tf.gather(x!, tf.tensor1d([], 'int32')), sh([4, 3]), false],
  [
    'batchNorm per-channel parameters',
    (x, m, v, o, s) => tf.batchNorm(x!, m!, v!, o!, s!, 1e-3),
    [{ shape: [4, 5, 5, 6] }, { shape: [6] }, positive([6]), { shape: [6] }, { shape: [6] }],
    true,
  ],
  // tfjs's batchNorm gradient needs a scale on every backend: forward only.
  [
    'batchNorm without offset and scale, rank 2',
    (x, m, v) => tf.batchNorm(x!, m!, v!),
    [{ shape: [9, 7] }, { shape: [7] }, positive([7])],
    false,
  ],
];

describe(`oneDNN kernels match the cpu backend${skipReason}`, () => {
  it.skipIf(!load.ok)(
    `matrix products run on ${avx512 ? 'oneDNN brgemm (this CPU has AVX-512)' : "OpenBLAS (this CPU has no AVX-512, brgemm's f32 kernels need it)"}`,
    () => {
      expect(load.ok && load.matmul).toMatch(avx512 ? /^oneDNN brgemm$/ : /^OpenBLAS \S+$/);
    },
  );
  it.skipIf(!load.ok).each(MATMUL)('%s', async (...c) => expectClose(c as unknown as Case));
  it.skipIf(!load.ok).each(BINARY)('%s', async (...c) => expectClose(c as unknown as Case));
  it.skipIf(!load.ok).each(CONV)('%s', async (...c) => expectClose(c as unknown as Case));
  it.skipIf(!load.ok).each(REDUCE)('%s', async (...c) => expectClose(c as unknown as Case));
  it.skipIf(!load.ok).each(OTHER)('%s', async (...c) => expectClose(c as unknown as Case));
  it.skipIf(!load.ok).each(UNARY)('%s', async (...c) => expectClose(c as unknown as Case));
});

describe(`the onednn gather${skipReason}`, () => {
  it.skipIf(!load.ok)('answers in-range float gathers itself; an index out of range gets the cpu error', async () => {
    const { NATIVE_KERNELS } = await import('../src/backend/onednn/kernels/index.js');
    const { loadAddon } = await import('../src/backend/onednn/addon.js');
    const addon = loadAddon();
    if (!addon.ok) throw new Error(addon.reason);
    await tf.setBackend('onednn');
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const call = (idx: number[]) => {
      const indices = tf.tensor1d(idx, 'int32');
      const args = { inputs: { x, indices }, backend: tf.backend(), attrs: { axis: 0, batchDims: 0 } };
      const out = NATIVE_KERNELS.GatherV2!(args as never, addon.addon);
      indices.dispose();
      return out;
    };
    const out = call([2, 0]);
    expect(out?.shape).toEqual([2, 2]);
    expect(Array.from(tf.engine().makeTensorFromTensorInfo(out!).dataSync())).toEqual([5, 6, 1, 2]);
    expect(call([3])).toBeUndefined();
    const bad = tf.tensor1d([3], 'int32');
    await tf.setBackend('cpu');
    const cpuError = ((): string => {
      try {
        tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor1d([3], 'int32'));
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error on cpu';
    })();
    await tf.setBackend('onednn');
    expect(cpuError).toMatch(/index.*3|3.*index/i);
    expect(() => tf.gather(x, bad)).toThrow(cpuError);
    tf.dispose([x, bad]);
  });
});
