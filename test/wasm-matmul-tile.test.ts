import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../src/backend/wasm/index.js';

/** Deterministic, non-repeating values so a misplaced element cannot go unnoticed. */
const ramp = (shape: number[]) =>
  tf.tensor(
    Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => Math.sin(i + 1)),
    shape,
  );

async function on(backend: string, fn: () => tf.Tensor): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const values = Array.from(await out.data());
  out.dispose();
  return { shape: out.shape, values };
}

beforeAll(async () => {
  tf.enableProdMode();
  await initWasmBackend();
});

describe('wasm BatchMatMul', () => {
  const CASES: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[1, 64, 33], [1, 64, 17], true, false],
    [[1, 33, 64], [1, 17, 64], false, true],
    [[2, 6, 4], [2, 6, 3], true, false],
    [[2, 4, 6], [1, 3, 6], false, true],
  ];
  it.each(CASES)('multiplies %j by %j (transposeA %s, transposeB %s) as the cpu backend does', async (a, b, tA, tB) => {
    const product = () => tf.matMul(ramp(a), ramp(b), tA, tB);
    const [got, want] = [await on('wasm', product), await on('cpu', product)];
    expect(got.shape).toEqual(want.shape);
    for (const [i, v] of got.values.entries()) expect(v).toBeCloseTo(want.values[i]!, 4);
  });

  it('keeps the rank of 2-D operands when the kernel is called directly', async () => {
    const got = await on(
      'wasm',
      () =>
        tf
          .engine()
          .runKernel(
            tf.BatchMatMul,
            { a: ramp([7, 5]), b: ramp([3, 7]) },
            { transposeA: true, transposeB: true },
          ) as tf.Tensor,
    );
    expect(got.shape).toEqual([5, 3]);
  });

  it('registers over the package kernel, not over its own wrapper, when initialised twice', async () => {
    await initWasmBackend();
    const replaced = (tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc as unknown as Record<symbol, tf.KernelConfig>)[
      Symbol.for('mnist-run.wasm-kernels.replaced')
    ];
    expect(replaced?.kernelFunc).toBeTypeOf('function');
    expect(Object.getOwnPropertySymbols(replaced!.kernelFunc)).toEqual([]);
  });
});

describe('wasm Tile', () => {
  const CASES: [number[], number[], tf.DataType][] = [
    [[1, 1, 1, 4], [3, 5, 2, 1], 'float32'],
    [[2, 3], [2, 2], 'float32'],
    [[3], [4], 'int32'],
    [[2, 1, 3], [1, 4, 2], 'int32'],
    [[2, 2], [3, 1], 'bool'],
    [[], [], 'float32'],
    [[2, 3], [0, 2], 'float32'],
  ];
  it.each(CASES)('tiles shape %j by %j (%s) exactly as the cpu backend does', async (shape, reps, dtype) => {
    const input = () => (dtype === 'bool' ? ramp(shape).greater(0) : ramp(shape).mul(10).cast(dtype));
    const tiled = () => tf.tile(input(), reps);
    expect(await on('wasm', tiled)).toEqual(await on('cpu', tiled));
  });
});
