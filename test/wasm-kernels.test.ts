import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConv2DBackpropFilter } from '../src/backend/wasm/conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from '../src/backend/wasm/conv2d-backprop-input.js';
import { initWasmBackend } from '../src/backend/wasm/index.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  f: Shape4;
  s: number | [number, number];
  pad: Pad;
  d: number | [number, number];
}

/** Seeded uniform values in [-1, 1): the same inputs on both backends and on every run. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
const rand = (shape: number[], seed: number) => tf.tensor(values(tf.util.sizeFromShape(shape), seed), shape);

/** max |got - want| / max |want|: elementwise ratios would blow up wherever a gradient is near 0. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

async function on(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
const dyShape = (c: Case) => tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, c.d, c.pad).outShape;
/** The filter with (d - 1) zeros between taps: a dilated conv is an undilated conv with it. */
function dilatedShape(c: Case): Shape4 {
  const [dh, dw] = pair(c.d);
  return [(c.f[0] - 1) * dh + 1, (c.f[1] - 1) * dw + 1, c.f[2], c.f[3]];
}
function dilateFilter(f: tf.Tensor4D, c: Case): tf.Tensor4D {
  const [dh, dw] = pair(c.d);
  const out = tf.buffer(dilatedShape(c));
  const src = f.arraySync();
  for (const [i, row] of src.entries()) {
    for (const [j, col] of row.entries()) {
      for (const [k, ci] of col.entries()) for (const [o, v] of ci.entries()) out.set(v, i * dh, j * dw, k, o);
    }
  }
  return out.toTensor() as tf.Tensor4D;
}

const CASES: Case[] = [
  { x: [2, 5, 5, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid', d: 1 },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 5], s: 1, pad: 'same', d: 1 },
  { x: [3, 9, 7, 2], f: [3, 3, 2, 4], s: 2, pad: 'same', d: 1 },
  { x: [2, 8, 8, 3], f: [2, 2, 3, 4], s: 2, pad: 'valid', d: 1 },
  {
    x: [1, 7, 9, 2],
    f: [3, 2, 2, 3],
    s: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
    d: 1,
  },
  { x: [2, 6, 6, 1], f: [5, 5, 1, 6], s: 1, pad: 2, d: 1 },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 2], s: 1, pad: 'same', d: 2 },
  { x: [2, 10, 8, 2], f: [2, 3, 2, 3], s: 1, pad: 'valid', d: [2, 1] },
  { x: [2, 11, 11, 2], f: [3, 3, 2, 3], s: 2, pad: 'same', d: 2 },
  { x: [1, 28, 28, 1], f: [3, 3, 1, 32], s: 1, pad: 'valid', d: 1 },
];
const name = (c: Case) => `x ${c.x}, filter ${c.f}, strides ${c.s}, pad ${JSON.stringify(c.pad)}, dilations ${c.d}`;
/** The registered kernel, and one forced to take a single image per im2col chunk. */
const BUDGETS = [
  { label: 'whole batch', budget: undefined },
  { label: 'one image per chunk', budget: 1 },
];

beforeAll(async () => {
  tf.enableProdMode();
  await initWasmBackend();
  await tf.setBackend('wasm');
});

function runOurs(kernel: tf.KernelFunc, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  const info = kernel({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap });
  return tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
}

describe.each(BUDGETS)('wasm conv2d gradient kernels ($label)', ({ budget }) => {
  it.each(CASES.map((c) => [name(c), c] as const))(
    'Conv2DBackpropFilter matches the cpu backend for %s',
    async (_, c) => {
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: c.d };
      const [dh, dw] = pair(c.d);
      const want = await on('cpu', () => {
        const full = tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: rand(c.x, 1), dy: rand(dyShape(c), 2) },
            { ...attrs, dilations: 1, filterShape: dilatedShape(c) },
          );
        return tf.stridedSlice(full as tf.Tensor, [0, 0, 0, 0], dilatedShape(c), [dh, dw, 1, 1]);
      });
      const got = await on('wasm', () =>
        runOurs(
          makeConv2DBackpropFilter(budget),
          { x: rand(c.x, 1), dy: rand(dyShape(c), 2) },
          { ...attrs, filterShape: c.f },
        ),
      );
      expect(relErr(got, want)).toBeLessThanOrEqual(1e-4);
    },
  );

  it.each(CASES.map((c) => [name(c), c] as const))(
    'Conv2DBackpropInput matches the cpu backend for %s',
    async (_, c) => {
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
      const want = await on(
        'cpu',
        () =>
          tf
            .engine()
            .runKernel(
              tf.Conv2DBackpropInput,
              { dy: rand(dyShape(c), 2), filter: dilateFilter(rand(c.f, 3) as tf.Tensor4D, c) },
              attrs,
            ) as tf.Tensor,
      );
      const got = await on('wasm', () =>
        runOurs(
          makeConv2DBackpropInput(budget),
          { dy: rand(dyShape(c), 2), filter: rand(c.f, 3) },
          { ...attrs, dilations: c.d },
        ),
      );
      expect(relErr(got, want)).toBeLessThanOrEqual(1e-4);
    },
  );
});

describe('tf.grad of conv2d on wasm', () => {
  const undilated = CASES.filter((c) => c.d === 1 && c.pad !== 2);
  it.each(undilated.map((c) => [name(c), c] as const))(
    'gives the cpu backend gradients for x and filter, %s',
    async (_, c) => {
      const grads = () => {
        const w = rand(dyShape(c), 4);
        const [dx, df] = tf.grads((x: tf.Tensor, f: tf.Tensor) =>
          tf
            .conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad as 'same')
            .mul(w)
            .sum(),
        )([rand(c.x, 1), rand(c.f, 3)]);
        return tf.concat([dx!.flatten(), df!.flatten()]);
      };
      expect(relErr(await on('wasm', grads), await on('cpu', grads))).toBeLessThanOrEqual(1e-4);
    },
  );
});

describe('wasm conv2d gradient kernels, errors and memory', () => {
  const c = CASES[2]!;
  const inputs = () => ({ x: rand(c.x, 1), dy: rand(dyShape(c), 2) });

  it('names the layout it supports when given NCHW', async () => {
    await tf.setBackend('wasm');
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: c.f };
    expect(() =>
      tf.tidy(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, inputs(), attrs)),
    ).toThrowErrorMatchingInlineSnapshot(`
      [BackendError: wasm Conv2DBackpropFilter: expected dataFormat NHWC, received NCHW
        fix: use dataFormat channelsLast in conv2d layers, or another backend]
    `);
  });

  it('says which dy shape it expected when handed another', async () => {
    await tf.setBackend('wasm');
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: c.f };
    expect(() =>
      tf.tidy(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, inputs(), attrs)),
    ).toThrowErrorMatchingInlineSnapshot(
      `[BackendError: wasm Conv2DBackpropFilter: expected dy of shape [3, 7, 5, 4] for input [3, 9, 7, 2] and filter [3, 3, 2, 4], received [3, 5, 4, 4]]`,
    );
  });

  it('returns zero gradients for an empty batch', async () => {
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC' };
    const dW = await on(
      'wasm',
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: tf.zeros([0, 5, 5, 2]), dy: tf.zeros([0, 3, 3, 4]) },
            { ...attrs, filterShape: [3, 3, 2, 4] },
          ) as tf.Tensor,
    );
    const dx = await on(
      'wasm',
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropInput,
            { dy: tf.zeros([0, 3, 3, 4]), filter: tf.ones([3, 3, 2, 4]) },
            { ...attrs, inputShape: [0, 5, 5, 2] },
          ) as tf.Tensor,
    );
    expect([dW.length, Math.max(...dW.map(Math.abs)), dx.length]).toEqual([72, 0, 0]);
  });

  it.each(BUDGETS)('frees every buffer it allocates ($label)', async ({ budget }) => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const step = () =>
      tf.tidy(() => {
        runOurs(makeConv2DBackpropFilter(budget), inputs(), {
          strides: c.s,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: c.f,
        });
        runOurs(
          makeConv2DBackpropInput(budget),
          { dy: rand(dyShape(c), 2), filter: rand(c.f, 3) },
          { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
        );
      });
    step();
    const before = backend.numDataIds();
    step();
    step();
    expect(backend.numDataIds()).toBe(before);
  });
});
