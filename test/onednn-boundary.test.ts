/**
 * The addon's entries check what they are given: a short buffer, a wrong type, a bad size or a
 * missing argument is a TypeError or RangeError naming the entry and the argument, never a read or
 * write out of bounds, and the process carries on. The kernels never make such calls; these
 * calls stand in for a bug that would.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon, type OnednnAddon } from '../src/backend/onednn/addon.js';
import { OP_CODES } from '../src/backend/onednn/op-codes.js';

// Not skipped without the addon: CI builds it (make test), and these checks guard its memory.
const load = loadAddon();
const addon = (load.ok ? load.addon : undefined) as OnednnAddon;
const f32 = (n: number) => new Float32Array(n);
const { unary, binary, reduce, fusedActivation } = OP_CODES;

// x [1,4,4,1], filter [3,3,1,2], out [1,2,2,2]: stride, dilation 1, no padding.
const CONV = [1, 4, 4, 1, 2, 2, 2, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0];
// x [1,4,4,1], a 2x2 window with stride 2 → out [1,2,2,1].
const POOL = [1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 0, 0];
const ADAM_HYPER = new Float32Array([0.9, 0.999, 0.01, 1e-7, 0.1, 0.001]);

/** The error a call throws, as its class name and message; or why there was none. */
function thrown(call: () => unknown): { error: string; message: string } {
  try {
    call();
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
  return { error: 'none', message: 'the call returned' };
}

const REJECTED: [string, () => unknown, string, string][] = [
  [
    'an input shorter than the output',
    () => addon.unary(unary.relu, 0, 0, f32(4), f32(5)),
    'RangeError',
    'unary: x holds 4 floats, expected at least 5',
  ],
  [
    'an unknown op code',
    () => addon.unary(11, 0, 0, f32(4), f32(4)),
    'RangeError',
    'unary: code must be an integer from 0 to 10, received 11',
  ],
  [
    'an input of another type',
    () => addon.step(0, new Float64Array(4) as never, f32(4)),
    'TypeError',
    'step: x must be a Float32Array, received a Float64Array',
  ],
  [
    'a short output for its shape',
    () => addon.binary(binary.add, f32(6), f32(6), f32(5), [2, 3], [3, 1], [3, 1]),
    'RangeError',
    'binary: out holds 5 floats, expected at least 6',
  ],
  [
    'a broadcast input shorter than its strides reach',
    () => addon.binary(binary.mul, f32(6), f32(2), f32(6), [2, 3], [3, 1], [0, 1]),
    'RangeError',
    'binary: b holds 2 floats, expected at least 3',
  ],
  [
    'strides of another rank',
    () => addon.binary(binary.add, f32(6), f32(6), f32(6), [2, 3], [1], [3, 1]),
    'RangeError',
    'binary: stridesA has 1 entries, expected 2',
  ],
  [
    'a short tile output',
    () => addon.tile(f32(2), f32(7), [2, 1], [2, 2]),
    'RangeError',
    'tile: out holds 7 floats, expected at least 8',
  ],
  [
    'a short matMul output',
    () => addon.matMul(f32(8), f32(12), f32(5), 1, 1, 2, 3, 4, false, false),
    'RangeError',
    'matMul: out holds 5 floats, expected at least 6',
  ],
  [
    'a matMul input shorter than k implies',
    () => addon.matMul(f32(8), f32(11), f32(6), 1, 1, 2, 3, 4, false, false),
    'RangeError',
    'matMul: b holds 11 floats, expected at least 12',
  ],
  [
    'a negative size',
    () => addon.matMul(f32(8), f32(12), f32(6), 1, 1, -2, 3, 4, false, false),
    'RangeError',
    'matMul: m must be an integer from 0 to 1099511627776, received -2',
  ],
  [
    'a fractional size',
    () => addon.matMul(f32(8), f32(12), f32(6), 1, 1, 2.5, 3, 4, false, false),
    'RangeError',
    'matMul: m must be an integer, received 2.5',
  ],
  [
    'sizes whose product overflows',
    () => addon.matMul(f32(8), f32(12), f32(6), 1, 1, 2 ** 40, 2 ** 40, 2 ** 40, false, false),
    'RangeError',
    'matMul: a has more than 1099511627776 elements',
  ],
  [
    'missing arguments',
    () => (addon.matMul as (...a: unknown[]) => void)(f32(8), f32(12)),
    'TypeError',
    'matMul: expected 10 arguments, received 2',
  ],
  [
    'a flag that is no boolean',
    () => addon.matMul(f32(8), f32(12), f32(6), 1, 1, 2, 3, 4, 0 as never, false),
    'TypeError',
    'matMul: transA must be a boolean, received a number',
  ],
  [
    'a bias of neither n nor the output',
    () => addon.fusedMatMul(f32(8), f32(12), f32(6), 1, 1, 2, 3, 4, false, false, f32(2), fusedActivation.relu),
    'RangeError',
    'fusedMatMul: bias holds 2 floats, expected 3 (n) or 6 (the output)',
  ],
  [
    'a short conv output',
    () => addon.conv2d(f32(16), f32(18), f32(7), CONV, null, false),
    'RangeError',
    'conv2d: out holds 7 floats, expected at least 8',
  ],
  [
    'a short conv filter gradient',
    () => addon.conv2dBackpropFilter(f32(16), f32(8), f32(17), CONV),
    'RangeError',
    'conv2dBackpropFilter: dw holds 17 floats, expected at least 18',
  ],
  [
    'a conv geometry of the wrong length',
    () => addon.conv2dBackpropInput(f32(8), f32(18), f32(16), CONV.slice(1)),
    'RangeError',
    'conv2dBackpropInput: geometry has 16 entries, expected 17',
  ],
  [
    'a zero stride',
    () =>
      addon.maxPool(
        f32(16),
        f32(4),
        POOL.map((v, i) => (i === 8 ? 0 : v)),
      ),
    'RangeError',
    'maxPool: geometry[8] (window or stride) must be at least 1',
  ],
  [
    'a short pool gradient',
    () => addon.maxPoolGrad(f32(4), f32(16), f32(15), POOL),
    'RangeError',
    'maxPoolGrad: dx holds 15 floats, expected at least 16',
  ],
  [
    'a reduction input shorter than its view',
    () => addon.reduce(reduce.sum, f32(23), f32(4), 2, 3, 4),
    'RangeError',
    'reduce: x holds 23 floats, expected at least 24',
  ],
  [
    'a short softmax output',
    () => addon.softmax(f32(6), f32(5), 2, 3),
    'RangeError',
    'softmax: out holds 5 floats, expected at least 6',
  ],
  [
    'a batch-norm parameter of the wrong length',
    () => addon.batchNorm(f32(6), f32(6), 3, f32(2), f32(3), null, null, 1e-3),
    'RangeError',
    'batchNorm: mean holds 2 floats, expected 1 or 3 (the channel count)',
  ],
  [
    'a short batch statistic',
    () => addon.batchNormTrain(f32(6), f32(6), 3, f32(3), f32(3), 1e-3, f32(2), f32(3)),
    'RangeError',
    'batchNormTrain: mean holds 2 floats, expected at least 3',
  ],
  [
    'an input that is not whole rows',
    () => addon.batchNormGrad(f32(6), f32(7), 3, f32(3), f32(3), f32(3), 1e-3, f32(7), f32(3), f32(3)),
    'RangeError',
    'batchNormGrad: x holds 7 floats, not a multiple of 3 channels',
  ],
  [
    'a short optimizer output',
    () => addon.adam(f32(5), f32(5), f32(5), f32(5), f32(5), f32(5), f32(4), ADAM_HYPER),
    'RangeError',
    'adam: outV holds 4 floats, expected at least 5',
  ],
  [
    'too few hyperparameters',
    () => addon.adam(f32(5), f32(5), f32(5), f32(5), f32(5), f32(5), f32(5), f32(5)),
    'RangeError',
    'adam: hyper holds 5 floats, expected at least 6',
  ],
  [
    'an unknown optimizer',
    () =>
      addon.denseStackStep(
        f32(8),
        f32(6),
        2,
        [4, 3],
        [0],
        [f32(12), f32(3)],
        [f32(12), f32(3)],
        [],
        [],
        0,
        2,
        f32(1),
        new Float64Array(5),
      ),
    'RangeError',
    'denseStackStep: optimizer must be an integer from 0 to 1, received 2',
  ],
  [
    'a thread count of zero',
    () => addon.setThreads(0),
    'RangeError',
    'setThreads: n must be an integer from 1 to 1024, received 0',
  ],
];

describe('the native boundary', () => {
  it('the addon is built and loads', () => {
    expect(load.ok ? '' : `${load.reason}; ${load.fix}`).toBe('');
  });

  it.each(REJECTED)('refuses %s with an error naming the entry and the argument', (_title, call, error, message) => {
    expect(thrown(call)).toEqual({ error, message });
  });

  it('computes as before after every refusal: the process and its buffers are intact', () => {
    for (const [, call] of REJECTED) thrown(call);
    const out = f32(4);
    addon.matMul(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, 1]), out, 1, 1, 2, 2, 2, false, false);
    expect([...out]).toEqual([1, 2, 3, 4]);
  });

  it('takes an empty batch on one side as nothing to do, where it used to divide by zero', () => {
    expect(thrown(() => addon.matMul(f32(0), f32(12), f32(0), 0, 1, 2, 3, 4, false, false))).toEqual({
      error: 'none',
      message: 'the call returned',
    });
  });
});
