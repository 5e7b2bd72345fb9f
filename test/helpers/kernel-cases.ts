import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { type CheckInput, type Computation, crossCheck } from './cross-check.js';

/** A kernel check: a computation on seeded inputs, compared with the cpu backend (and its gradients). */
export type Case = [title: string, fn: Computation, inputs: CheckInput[], grads: boolean];
export const sh = (...shapes: number[][]): CheckInput[] => shapes.map((shape) => ({ shape }));
export const positive = (shape: number[]): CheckInput => ({ shape, lo: 0.1, hi: 3 });

const TOL = 1e-4;

export async function expectClose([, fn, inputs, grads]: Case): Promise<void> {
  const errors = await crossCheck(fn, inputs, { grads });
  for (const e of errors) expect(e).toBeLessThanOrEqual(TOL);
}

/** Matrix products: run by oneDNN's brgemm where the CPU has it, by OpenBLAS elsewhere; both are checked. */
export const MATMUL: Case[] = [
  ['matMul 2-D', (a, b) => tf.matMul(a!, b!), sh([17, 33], [33, 9]), true],
  ['matMul transposeA', (a, b) => tf.matMul(a!, b!, true, false), sh([33, 17], [33, 9]), true],
  ['matMul transposeB', (a, b) => tf.matMul(a!, b!, false, true), sh([17, 33], [9, 33]), true],
  ['matMul both transposed', (a, b) => tf.matMul(a!, b!, true, true), sh([33, 17], [9, 33]), true],
  ['matMul 1x1', (a, b) => tf.matMul(a!, b!), sh([1, 1], [1, 1]), true],
  ['matMul with an empty inner dimension', (a, b) => tf.matMul(a!, b!), sh([3, 0], [0, 4]), false],
  ['batched matMul', (a, b) => tf.matMul(a!, b!), sh([3, 5, 4], [3, 4, 6]), true],
  // tfjs has no gradient for broadcast batch dims, on any backend: forward only.
  ['batched matMul broadcasting a batch of one', (a, b) => tf.matMul(a!, b!), sh([1, 5, 4], [2, 3, 4, 6]), false],
  [
    'batched matMul broadcasting each side along another axis',
    (a, b) => tf.matMul(a!, b!),
    sh([2, 1, 5, 4], [1, 3, 4, 6]),
    false,
  ],
  ['dense layer shapes', (a, b) => tf.matMul(a!, b!), sh([64, 784], [784, 128]), true],
  ['fused matMul with bias', (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c! }), sh([7, 5], [5, 6], [6]), true],
  [
    'fused matMul bias+relu',
    (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }),
    sh([7, 5], [5, 6], [6]),
    false,
  ],
  [
    'fused matMul bias+sigmoid transposed',
    (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'sigmoid', transposeA: true }),
    sh([5, 7], [5, 6], [6]),
    false,
  ],
  // A bias of the output's full shape is added before the activation, not after it.
  [
    'fused matMul full-shape bias+relu',
    (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }),
    sh([7, 5], [5, 6], [7, 6]),
    false,
  ],
  [
    'fused batched matMul bias+relu',
    (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }),
    sh([2, 7, 5], [2, 5, 6], [6]),
    false,
  ],
];
