/**
 * Every kernel that training the shipped configs uses is checked on the webgpu backend (SwiftShader)
 * against the cpu backend. The list of kernels is not written down: it is recorded, every run, from
 * one training step, an evaluation and a prediction of every shipped config and every run of the
 * shipped sweeps; each name must have an entry in CHECKS, or the suite fails naming it.
 *
 * An entry runs the op on seeded random inputs of several shapes (odd sizes, batch 1, odd batches,
 * sizes that take the shaders' vec4 paths, and the shapes that pick each of tfjs-webgpu's matMul and
 * conv2d programs) on 'cpu' and on 'webgpu' and compares the results; for differentiable ops also the
 * gradients of sum(op(x) * r) for a random r, which runs the backward kernels. Error: max |cpu -
 * webgpu| / max |cpu| (relativeError), at most 1e-4; integer, boolean, selecting and copying kernels
 * must match exactly. On webgpu the checks run the shaders, never tfjs's CPU hand-off for small
 * inputs, and the report (printed after the run) names the programs each kernel's cases ran.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAM_UPDATE, type AdamUpdateAttrs, hasKernel, runKernel } from '../../src/accelerated/kernels.js';
import { makeAugmenter } from '../../src/augment/transform.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { compileModel } from '../../src/model/compile.js';
import { predictClasses } from '../../src/run/results.js';
import { expandSweep, overrideArgs } from '../../src/sweep/expand.js';
import { loadSweep } from '../../src/sweep/load.js';
import { evaluate } from '../../src/train/evaluate.js';
import { makeBatchFeed } from '../../src/train/feed.js';
import { relativeError, seededFloats } from '../helpers/cross-check.js';
import { MATMUL } from '../helpers/kernel-cases.js';
import { useWebgpu, valuesOn } from '../helpers/webgpu.js';

/** What ships: configs/*.yaml, and configs/*.sweep.yaml whose runs are the base config plus overrides. */
const SHIPPED = readdirSync('configs').sort((a, b) => a.localeCompare(b));
const CONFIGS = SHIPPED.filter((f) => f.endsWith('.yaml') && !f.endsWith('.sweep.yaml'));
const SWEEPS = SHIPPED.filter((f) => f.endsWith('.sweep.yaml'));
const TOL = 1e-4;

// ---------------------------------------------------------------------------------------------
// 1. The kernels training uses, recorded on webgpu.

/** Every shipped config and every run of every shipped sweep, each resolved by the real loader. */
async function shippedConfigs(): Promise<{ label: string; config: Config }[]> {
  const out: { label: string; config: Config }[] = [];
  for (const file of CONFIGS) out.push({ label: file, config: (await loadConfig(`configs/${file}`)).config });
  for (const file of SWEEPS) {
    const spec = await loadSweep(resolve('configs', file), process.cwd());
    for (const point of expandSweep(spec)) {
      const loaded = await loadConfig(resolve('configs', spec.base), overrideArgs(point.overrides));
      out.push({ label: `${file} ${point.label}`, config: loaded.config });
    }
  }
  return out;
}

interface Usage {
  /** Config label → the kernels its step, evaluation and prediction ran. */
  perConfig: Map<string, string[]>;
  /** Kernel → the configs that use it. */
  users: Map<string, string[]>;
}

/**
 * The config with its hidden layers narrow (dense units 5, conv filters 3; the output layer keeps its
 * 10): the same layers, activations, loss, optimizer, metrics and feed at a fraction of the arithmetic,
 * which SwiftShader does on the CPU. Kernel names do not depend on widths; a test below holds that
 * for cnn.yaml at full size.
 */
function narrowed(config: Config): Config {
  const layers = config.model.layers;
  const output = layers.map((l) => l.type).lastIndexOf('dense');
  return {
    ...config,
    model: {
      ...config.model,
      layers: layers.map((l, i) => {
        if (l.type === 'dense' && i !== output) return { ...l, units: 5 };
        if (l.type === 'conv2d') return { ...l, filters: 3 };
        return l;
      }),
    },
  };
}

const SAMPLES = { images: seededFloats(3 * 28 * 28, 7, 0, 1), labels: Uint8Array.from([1, 7, 3]), count: 3 };

/**
 * The kernels of one training step as the loop takes it (makeBatchFeed: on webgpu the set uploaded
 * and the batch gathered there, then tfjs's train function; with augmentation the batch made on the
 * host, then trainOnBatch): forward, loss, metrics, gradients and the optimizer's update, which on
 * its first step also makes its slots; then of one evaluation and one prediction as a run's end
 * makes them. 3 samples.
 */
async function kernelsOf(config: Config): Promise<string[]> {
  await useWebgpu();
  const model = compileModel(config, [28, 28], config.seed);
  const o = {
    sampleShape: [28, 28],
    numClasses: 10,
    labelFormat: config.loss === 'sparseCategoricalCrossentropy' ? ('sparse' as const) : ('oneHot' as const),
    metricNames: config.metrics,
    batchSize: config.train.batchSize,
    transformBatch: config.augment ? makeAugmenter(config.augment, config.seed, 28, 28) : undefined,
  };
  const feed = makeBatchFeed(model, SAMPLES, o);
  const names = new Set<string>();
  for (const run of [
    () => feed.train(Uint32Array.from([2, 0, 1]), 0, SAMPLES.count, 1, 0),
    () => evaluate(model, SAMPLES, o),
    () => predictClasses(model, SAMPLES, o.sampleShape),
  ]) {
    const info = await tf.profile(async () => {
      await run();
      return [];
    });
    for (const k of info.kernelNames) names.add(k);
  }
  feed.dispose();
  model.dispose();
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** Every shipped config and sweep run, narrowed; runs that differ only in what no tensor sees (seed, augmentation's values, epochs...) run once. */
async function recordKernels(): Promise<Usage> {
  const perConfig = new Map<string, string[]>();
  const users = new Map<string, string[]>();
  const seen = new Map<string, string[]>();
  for (const { label, config } of await shippedConfigs()) {
    const narrow = narrowed(config);
    const key = JSON.stringify([narrow.model, narrow.loss, narrow.optimizer, narrow.metrics, !!narrow.augment]);
    const names = seen.get(key) ?? (await kernelsOf(narrow));
    seen.set(key, names);
    perConfig.set(label, names);
    for (const k of names) users.set(k, [...(users.get(k) ?? []), label]);
  }
  return { perConfig, users };
}

// ---------------------------------------------------------------------------------------------
// 2. The checks: kernel name → computations that run it, compared between cpu and webgpu.

interface Input {
  shape: number[];
  lo?: number;
  hi?: number;
  dtype?: 'float32' | 'int32' | 'bool';
  /** Whole numbers (floored draws), so comparisons meet ties. Implied by int32 and bool. */
  whole?: boolean;
}
interface Case {
  title: string;
  /** One output, or several (forward only: no `grads`). */
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  inputs: Input[];
  /** Which inputs to differentiate with respect to; none: forward only. */
  grads?: number[];
}
interface Check {
  cases: Case[];
  /** Which results of each case count for this kernel: 0 is the forward output, i+1 the gradient of grads[i]. Default all. */
  results?: (c: Case) => number[];
  /** Default 1e-4; 0 demands exact equality. */
  tol?: number;
  /** Why a tolerance other than 1e-4, or what the kernel is when it is not one. */
  note?: string;
}

const floats = (shape: number[], lo = -1, hi = 1): Input => ({ shape, lo, hi });
const whole = (shape: number[], lo: number, hi: number, dtype: Input['dtype'] = 'float32'): Input => ({
  shape,
  lo,
  hi,
  dtype,
  whole: true,
});
const bools = (shape: number[]): Input => ({ shape, lo: 0, hi: 2, dtype: 'bool' });
const all = (inputs: Input[]) => inputs.map((_, i) => i);
const fmt = (s: number[]) => `[${s.join(',')}]`;

/** Odd sizes, batch 1, a rank-4 activation and a size that takes the shaders' vec4 path. */
const SHAPES = [
  [1, 13],
  [7, 33],
  [3, 5, 5, 7],
  [4, 128],
];

function unary(name: string, op: (x: tf.Tensor) => tf.Tensor, lo: number, hi: number, grads = true): Case[] {
  return SHAPES.map((s) => ({
    title: `${name} ${fmt(s)} in [${lo}, ${hi})`,
    fn: (x) => op(x!),
    inputs: [floats(s, lo, hi)],
    grads: grads ? [0] : undefined,
  }));
}

/** Same shapes, a bias row, a channel vector, a scalar, both sides broadcast, and the vec4 path. */
const BINARY_SHAPES = [
  [
    [7, 33],
    [7, 33],
  ],
  [[7, 33], [33]],
  [[3, 5, 5, 7], [7]],
  [[1, 13], []],
  [
    [5, 1],
    [1, 13],
  ],
  [
    [4, 128],
    [4, 128],
  ],
];
function binary(name: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, b: { lo: number; hi: number }): Case[] {
  return BINARY_SHAPES.map(([sa, sb]) => ({
    title: `${name} ${fmt(sa!)} ${fmt(sb!)}`,
    fn: (x, y) => op(x!, y!),
    inputs: [floats(sa!), floats(sb!, b.lo, b.hi)],
    grads: [0, 1],
  }));
}

/** Comparisons on whole numbers (ties happen), float and int32, broadcast as the metrics and clip's gradient do. */
function comparison(name: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Case[] {
  const cases: [Input, Input][] = [
    [whole([7, 33], 0, 3), whole([7, 33], 0, 3)],
    [whole([1, 13], 0, 3, 'int32'), whole([1, 13], 0, 3, 'int32')],
    [whole([7], 0, 10, 'int32'), whole([7], 0, 10, 'int32')],
    [whole([4, 128], -2, 2), whole([4, 128], -2, 2)],
    [floats([7, 33]), whole([], 0, 1)],
    [whole([3, 5, 5, 7], 0, 2), whole([7], 0, 2)],
  ];
  return cases.map(([a, b]) => ({
    title: `${name} ${a.dtype ?? 'float32'} ${fmt(a.shape)} ${fmt(b.shape)}`,
    fn: (x, y) => op(x!, y!),
    inputs: [a, b],
  }));
}

const reduction = (name: string, op: (x: tf.Tensor, axis?: number[], keep?: boolean) => tf.Tensor): Case[] =>
  (
    [
      [[7, 33], [0], false], // a bias gradient: over the batch
      [[7, 33], [1], true], // softmax's gradient, cross-entropy: over the classes
      [[1, 13], undefined, false], // the loss: over everything
      [[3, 5, 5, 7], [0, 1, 2], false], // batch norm's moments: over all but the channels
      [[4, 128], undefined, false],
      [[33, 784], [0], false], // the first dense layer's bias gradient, 33 rows
    ] as [number[], number[] | undefined, boolean][]
  ).map(([s, axis, keep]) => ({
    title: `${name} ${fmt(s)} axis ${axis ? fmt(axis) : 'all'}${keep ? ' keepDims' : ''}`,
    fn: (x) => op(x!, axis, keep),
    inputs: [floats(s)],
    grads: [0],
  }));

/**
 * tfjs-webgpu picks one of four matMul programs by shape (BatchMatMul_impl.ts; 8 workgroups of 32x32
 * is "few" on a non-Intel adapter): MatMulReduce (few, output <= 128), MatMulSplitK (few, one batch,
 * inner >= 2000: atomics), MatMulSmallOutputSize (other few) and MatMulPacked (vec4 when inner and
 * columns are multiples of 4 and b is not transposed). Training at the configs' batch sizes takes
 * Packed (the ANN's hidden layers), SplitK (the CNN head, 4608 inputs) and SmallOutputSize (the
 * 10-unit layers); Reduce any product of at most 128 outputs. The cases below take each (a test
 * holds it); each title names the program of its forward product.
 */
const dense = (a: number[], b: number[], grads = true): Pick<Case, 'inputs' | 'grads'> => ({
  inputs: [floats(a), floats(b)],
  grads: grads ? [0, 1] : undefined,
});
const MATMULS: Case[] = [
  // kernel-cases.ts's, less an empty inner dimension (training has none; tfjs-webgpu binds a
  // zero-size buffer there, which Dawn rejects: GpuRejectedError, the device unusable after) and the
  // 64x784x128 one (seconds on SwiftShader; the cases below take the same programs), and batches that
  // broadcast on both sides ([2,1] by [1,3]): tfjs-webgpu 4.22 sizes that output by the larger batch
  // alone and throws (Size(90) for [2,3,5,6]); no layer makes such shapes.
  ...MATMUL.filter(([title]) => !title.startsWith('fused') && !/empty|dense layer|each side/.test(title)).map(
    ([title, fn, inputs, grads]) => ({ title, fn, inputs, grads: grads ? all(inputs) : undefined }),
  ),
  { title: 'MatMulReduce 7x13 by 13x9', fn: (a, b) => tf.matMul(a!, b!), ...dense([7, 13], [13, 9]) },
  { title: 'MatMulReduce 3x784 by 784x13', fn: (a, b) => tf.matMul(a!, b!), ...dense([3, 784], [784, 13]) },
  { title: 'MatMulSplitK 5x2305 by 2305x33', fn: (a, b) => tf.matMul(a!, b!), ...dense([5, 2305], [2305, 33]) },
  { title: 'MatMulPacked vec4 40x72 by 72x300', fn: (a, b) => tf.matMul(a!, b!), ...dense([40, 72], [72, 300]) },
  { title: 'MatMulPacked 33x70 by 70x301', fn: (a, b) => tf.matMul(a!, b!), ...dense([33, 70], [70, 301]) },
];

/** The dense layers' forward pass (bias, linear as the configs use it) and its custom gradient. */
const fusedMatMul =
  (activation: 'linear' | 'relu', transposeB = false) =>
  (a?: tf.Tensor, b?: tf.Tensor, bias?: tf.Tensor) =>
    tf.fused.matMul({ a: a!, b: b!, bias, activation, transposeB });
const withBias = (a: number[], b: number[], n: number): Pick<Case, 'inputs' | 'grads'> => ({
  inputs: [floats(a), floats(b), floats([n])],
  grads: [0, 1, 2],
});
const FUSED_MATMULS: Case[] = [
  { title: 'MatMulReduce dense 1x784 → 128, bias', fn: fusedMatMul('linear'), ...withBias([1, 784], [784, 128], 128) },
  { title: 'MatMulReduce dense 3x512 → 10, bias', fn: fusedMatMul('linear'), ...withBias([3, 512], [512, 10], 10) },
  { title: 'MatMulReduce dense 5x7 → 9, bias+relu', fn: fusedMatMul('relu'), ...withBias([5, 7], [7, 9], 9) },
  {
    title: 'MatMulReduce dense 5x7 → 9, b transposed',
    fn: fusedMatMul('linear', true),
    ...withBias([5, 7], [9, 7], 9),
  },
  {
    title: 'MatMulSmallOutputSize dense 7x33 → 23, bias',
    fn: fusedMatMul('linear'),
    ...withBias([7, 33], [33, 23], 23),
  },
  // As the CNN head (4608 → 128), at a fraction of its arithmetic.
  { title: 'MatMulSplitK dense 3x2049 → 47, bias', fn: fusedMatMul('linear'), ...withBias([3, 2049], [2049, 47], 47) },
  {
    title: 'MatMulPacked vec4 dense 40x72 → 300, bias',
    fn: fusedMatMul('linear'),
    ...withBias([40, 72], [72, 300], 300),
  },
  ...MATMUL.filter(([title]) => title.startsWith('fused')).map(([title, fn, inputs, grads]) => ({
    title,
    fn,
    inputs,
    grads: grads ? all(inputs) : undefined,
  })),
];

type ConvGeometry = { strides: [number, number]; pad: 'valid' | 'same'; activation: 'linear' | 'relu'; bias: boolean };
const conv = (title: string, g: ConvGeometry, x: number[], w: number[]): Case => ({
  title,
  fn: (xs, ws, b) =>
    tf.fused.conv2d({
      x: xs as tf.Tensor4D,
      filter: ws as tf.Tensor4D,
      strides: g.strides,
      pad: g.pad,
      bias: g.bias ? b : undefined,
      activation: g.activation,
    }),
  inputs: g.bias ? [floats(x), floats(w), floats([w[3]!])] : [floats(x), floats(w)],
  grads: g.bias ? [0, 1, 2] : [0, 1],
});
/** The CNN's two layers as the configs have them (3x3, valid, stride 1, bias, linear), then odd geometries and 'same'. */
const CONVS: Case[] = [
  conv(
    'the CNN layer 1, 28x28x1 → 32, batch 2',
    { strides: [1, 1], pad: 'valid', activation: 'linear', bias: true },
    [2, 28, 28, 1],
    [3, 3, 1, 32],
  ),
  conv(
    'the CNN layer 2, 26x26x32 → 32, batch 1',
    { strides: [1, 1], pad: 'valid', activation: 'linear', bias: true },
    [1, 26, 26, 32],
    [3, 3, 32, 32],
  ),
  conv(
    'same padding, relu, 9x7x3 → 5, batch 3',
    { strides: [1, 1], pad: 'same', activation: 'relu', bias: true },
    [3, 9, 7, 3],
    [3, 3, 3, 5],
  ),
  conv(
    'stride 2, same padding, no bias, 11x9x2 → 4',
    { strides: [2, 2], pad: 'same', activation: 'linear', bias: false },
    [2, 11, 9, 2],
    [3, 3, 2, 4],
  ),
  conv(
    'strides [2,1], 5x2 filter, valid, relu, 12x7x4 → 6',
    { strides: [2, 1], pad: 'valid', activation: 'relu', bias: true },
    [1, 12, 7, 4],
    [5, 2, 4, 6],
  ),
  conv(
    '1x1 filter (a matMul inside), 5x5x7 → 13',
    { strides: [1, 1], pad: 'valid', activation: 'linear', bias: true },
    [3, 5, 5, 7],
    [1, 1, 7, 13],
  ),
];

const pool = (title: string, x: number[], size: number, stride: number, pad: 'valid' | 'same'): Case => ({
  title,
  fn: (xs) => tf.maxPool(xs as tf.Tensor4D, size, stride, pad),
  inputs: [floats(x)],
  grads: [0],
});
const POOLS: Case[] = [
  pool('the CNN pool: 2x2, stride 2, 24x24x32', [1, 24, 24, 32], 2, 2, 'valid'),
  pool('2x2, stride 2, odd 9x7x5 (last row and column dropped), batch 3', [3, 9, 7, 5], 2, 2, 'valid'),
  pool('3x3, stride 2, same, 13x11x3', [2, 13, 11, 3], 3, 2, 'same'),
  pool('2x2, stride 1 (overlapping windows), 7x7x33', [1, 7, 7, 33], 2, 1, 'valid'),
];

/** tf.batchNorm with given moments, and as the layer trains: the batch's own moments (tf.moments), gradients through both. */
const bnInputs = (x: Input): Input[] => {
  const c = x.shape[x.shape.length - 1]!;
  return [x, floats([c]), floats([c], 0.2, 2), floats([c], 0.5, 2), floats([c])];
};
const training = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
};
const BATCH_NORMS: Case[] = [
  ...[
    [3, 5, 5, 7],
    [7, 33],
    [1, 6, 6, 32],
  ].map((s) => ({
    title: `batchNorm, given moments, ${fmt(s)}`,
    fn: (x: tf.Tensor, m?: tf.Tensor, v?: tf.Tensor, g?: tf.Tensor, b?: tf.Tensor) =>
      tf.batchNorm(x, m!, v!, b, g, 1e-3),
    inputs: bnInputs(floats(s)),
    grads: [0, 1, 2, 3, 4],
  })),
  ...[floats([3, 5, 5, 7]), floats([7, 33]), floats([2, 8, 8, 32]), floats([5, 3, 3, 4], 50, 51)].map((x) => ({
    title: `batchNorm in training (batch moments), ${fmt(x.shape)} in [${x.lo}, ${x.hi})`,
    fn: (xs: tf.Tensor, g?: tf.Tensor, b?: tf.Tensor) => training(xs, g!, b!),
    inputs: [x, floats([x.shape[x.shape.length - 1]!], 0.5, 2), floats([x.shape[x.shape.length - 1]!])],
    grads: [0, 1, 2],
  })),
];

/**
 * One Adam step of a variable: the backend's ADAM_UPDATE where it has one, else tf.train.adam's
 * arithmetic (AdamOptimizer.applyGradients, in its order). Outputs the new value, m and v, each
 * compared on its own scale. At step 1 (m and v from zero) and step 9, with the configs' rates.
 */
const adamStep =
  (t: number, learningRate: number) =>
  (value?: tf.Tensor, gradient?: tf.Tensor, m?: tf.Tensor, v?: tf.Tensor): tf.Tensor[] => {
    const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-7];
    const hyper: AdamUpdateAttrs = {
      beta1,
      beta2,
      learningRate,
      epsilon,
      biasCorrection1: 1 - Math.fround(beta1) ** t,
      biasCorrection2: 1 - Math.fround(beta2) ** t,
    };
    if (hasKernel(ADAM_UPDATE))
      return runKernel(ADAM_UPDATE, { value: value!, gradient: gradient!, m: m!, v: v! }, hyper) as tf.Tensor[];
    const newM = tf.add(tf.mul(m!, beta1), tf.mul(gradient!, 1 - beta1));
    const newV = tf.add(tf.mul(v!, beta2), tf.mul(tf.square(gradient!), 1 - beta2));
    const mHat = tf.div(newM, hyper.biasCorrection1);
    const vHat = tf.div(newV, hyper.biasCorrection2);
    const newValue = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -learningRate), value!);
    return [newValue, newM, newV];
  };
const ADAM_UPDATES: Case[] = (
  [
    [[3, 3, 1, 32], 1, 0.01, 0], // the CNN's first kernel at its first step: m and v zero
    [[7, 33], 9, 0.01, 1],
    [[13], 9, 0.001, 1],
    [[784, 5], 1, 0.001, 0],
    [[1], 9, 0.01, 1],
  ] as [number[], number, number, number][]
).map(([s, t, lr, moments]) => ({
  title: `adam step ${t}, lr ${lr}, ${fmt(s)}`,
  fn: adamStep(t, lr),
  inputs: [floats(s), floats(s), floats(s, -0.1 * moments, 0.1 * moments), floats(s, 0, 0.01 * moments)],
}));

const forwardOnly = () => [0];
const gradsOnly = (c: Case) => (c.grads ?? []).map((_, i) => i + 1);
const gradOf = (input: number) => (c: Case) => (c.grads?.includes(input) ? [c.grads.indexOf(input) + 1] : []);

const CHECKS: Record<string, Check> = {
  Add: { cases: binary('add', tf.add, { lo: -1, hi: 1 }) },
  Sub: { cases: binary('sub', tf.sub, { lo: -1, hi: 1 }) },
  Multiply: { cases: binary('mul', tf.mul, { lo: -1, hi: 1 }) },
  RealDiv: { cases: binary('div', tf.div, { lo: 0.2, hi: 3 }) },
  Neg: { cases: unary('neg', tf.neg, -3, 3), tol: 0 },
  Square: { cases: unary('square', tf.square, -3, 3) },
  Sqrt: { cases: [...unary('sqrt', tf.sqrt, 0.01, 3), ...unary('sqrt (zeros in range)', tf.sqrt, 0, 1, false)] },
  Rsqrt: { cases: unary('rsqrt', tf.rsqrt, 0.01, 3) },
  Log: { cases: [...unary('log', tf.log, 0.01, 3), ...unary('log of clipped probabilities', tf.log, 1e-7, 1)] },
  Sigmoid: { cases: unary('sigmoid', tf.sigmoid, -8, 8) },
  Tanh: { cases: unary('tanh', tf.tanh, -10, 10) },
  Relu: { cases: unary('relu', tf.relu, -1, 1), tol: 0 },
  Step: { cases: unary('step', (x) => tf.step(x), -1, 1, false), tol: 0 },
  Floor: { cases: unary('floor', tf.floor, -5, 5, false), tol: 0 },
  ClipByValue: {
    cases: [
      ...unary('clip to [-0.5, 0.5]', (x) => tf.clipByValue(x, -0.5, 0.5), -1, 1),
      ...unary("clip to [1e-7, 1 - 1e-7] (cross-entropy's)", (x) => tf.clipByValue(x, 1e-7, 1 - 1e-7), -0.1, 1.1),
    ],
    tol: 0,
  },
  Softmax: {
    cases: [
      [1, 13],
      [7, 10],
      [5, 33],
      [2, 128],
    ].map((s) => ({
      title: `softmax ${fmt(s)}`,
      fn: (x) => tf.softmax(x!),
      inputs: [floats(s, -10, 10)],
      grads: [0],
    })),
  },
  Sum: { cases: reduction('sum', tf.sum) },
  Mean: { cases: reduction('mean', tf.mean) },
  ArgMax: {
    cases: [
      [1, 13],
      [7, 10],
      [33, 7],
      [5, 3, 4],
      [4, 128],
    ].map((s) => ({
      title: `argMax ${fmt(s)} axis -1`,
      fn: (x) => tf.argMax(x!, -1),
      inputs: [floats(s)],
    })),
    tol: 0,
  },
  Equal: { cases: comparison('equal', tf.equal), tol: 0 },
  GreaterEqual: { cases: comparison('greaterEqual', tf.greaterEqual), tol: 0 },
  LessEqual: { cases: comparison('lessEqual', tf.lessEqual), tol: 0 },
  LogicalAnd: {
    cases: [
      [7, 33],
      [1, 13],
      [4, 128],
    ].map((s) => ({
      title: `logicalAnd ${fmt(s)}`,
      fn: (a, b) => tf.logicalAnd(a!, b!),
      inputs: [bools(s), bools(s)],
    })),
    tol: 0,
  },
  Select: {
    cases: [
      [7, 33],
      [1, 13],
      [4, 128],
    ].map((s) => ({
      title: `where ${fmt(s)}`,
      fn: (c, a, b) => tf.where(c!, a!, b!),
      inputs: [bools(s), floats(s), floats(s)],
      grads: [1, 2],
    })),
    tol: 0,
  },
  Cast: {
    cases: [
      { title: 'cast bool → float32 [7,33]', fn: (x) => tf.cast(x!, 'float32'), inputs: [bools([7, 33])] },
      {
        title: 'cast int32 → float32 [1,13]',
        fn: (x) => tf.cast(x!, 'float32'),
        inputs: [whole([1, 13], -9, 9, 'int32')],
      },
      {
        title: 'cast float32 → int32 [4,128] (truncates)',
        fn: (x) => tf.cast(x!, 'int32'),
        inputs: [floats([4, 128], -5, 5)],
      },
      { title: 'cast float32 → bool [3,5,5,7]', fn: (x) => tf.cast(x!, 'bool'), inputs: [whole([3, 5, 5, 7], -1, 2)] },
    ],
    tol: 0,
  },
  ZerosLike: {
    cases: [
      ...SHAPES.map((s) => ({
        title: `zerosLike ${fmt(s)}`,
        fn: (x: tf.Tensor) => tf.zerosLike(x),
        inputs: [floats(s)],
      })),
      { title: 'zerosLike int32 [7]', fn: (x) => tf.zerosLike(x!), inputs: [whole([7], 0, 9, 'int32')] },
    ],
    tol: 0,
  },
  Identity: { cases: unary('identity (clone)', tf.clone, -1, 1), tol: 0 },
  Reshape: {
    cases: (
      [
        [
          [7, 33],
          [33, 7],
        ],
        [
          [3, 28, 28],
          [3, 28, 28, 1],
        ], // the CNN's reshape layer
        [
          [3, 12, 12, 5],
          [3, 720],
        ], // flatten
        [[1, 13], [13]],
      ] as [number[], number[]][]
    ).map(([from, to]) => ({
      title: `reshape ${fmt(from)} → ${fmt(to)}`,
      fn: (x) => tf.reshape(x!, to),
      inputs: [floats(from)],
      grads: [0],
    })),
    tol: 0,
  },
  Slice: {
    cases: (
      [
        [
          [7, 33],
          [2, 0],
          [3, 33],
        ],
        [
          [5, 28, 28],
          [1, 0, 0],
          [3, -1, -1],
        ], // a batch of images, as evaluate and predict cut them
        [
          [9, 13],
          [0, 4],
          [9, 5],
        ],
        [
          [3, 5, 5, 7],
          [1, 1, 0, 2],
          [1, 3, 5, 4],
        ],
      ] as [number[], number[], number[]][]
    ).map(([s, begin, size]) => ({
      title: `slice ${fmt(s)} from ${fmt(begin)} size ${fmt(size)}`,
      fn: (x) => tf.slice(x!, begin, size),
      inputs: [floats(s)],
      grads: [0],
    })),
    tol: 0,
  },
  GatherV2: {
    cases: (
      [
        [[9, 28, 28], 3], // a batch of images picked from the uploaded training set
        [[7, 10], 7], // its one-hot labels, indices repeating
        [[13, 33], 1],
        [[4, 128], 5],
      ] as [number[], number][]
    ).map(([s, k]) => ({
      title: `gather ${k} rows of ${fmt(s)}`,
      fn: (x, i) => tf.gather(x!, i!),
      inputs: [floats(s), whole([k], 0, s[0]!, 'int32')],
    })),
    tol: 0,
  },
  Pack: {
    cases: [
      {
        title: 'stack 2 scalars (loss and accuracy)',
        fn: (a, b) => tf.stack([a!, b!]),
        inputs: [floats([]), floats([])],
      },
      {
        title: 'stack 3 [7,33]',
        fn: (a, b, c) => tf.stack([a!, b!, c!]),
        inputs: [floats([7, 33]), floats([7, 33]), floats([7, 33])],
      },
      {
        title: 'stack 2 [1,13] on axis 1',
        fn: (a, b) => tf.stack([a!, b!], 1),
        inputs: [floats([1, 13]), floats([1, 13])],
      },
    ],
    tol: 0,
  },
  Tile: {
    cases: (
      [
        [
          [1, 33],
          [7, 1],
        ],
        [
          [1, 1, 1, 7],
          [3, 5, 5, 1],
        ],
        [[13], [3]],
        [
          [2, 3],
          [2, 2],
        ],
      ] as [number[], number[]][]
    ).map(([s, reps]) => ({
      title: `tile ${fmt(s)} by ${fmt(reps)}`,
      fn: (x) => tf.tile(x!, reps),
      inputs: [floats(s)],
      grads: [0],
    })),
    tol: 0,
  },
  BatchMatMul: { cases: MATMULS },
  _FusedMatMul: { cases: FUSED_MATMULS },
  fusedMatMul__op: {
    cases: FUSED_MATMULS,
    note: "not a kernel: tf.profile's name for tf.fused.matMul's custom gradient (forward _FusedMatMul, backward BatchMatMul and Sum)",
  },
  FusedConv2D: { cases: CONVS, results: forwardOnly },
  Conv2DBackpropInput: { cases: CONVS, results: gradOf(0), note: 'the gradient for the convolution input' },
  Conv2DBackpropFilter: { cases: CONVS, results: gradOf(1), note: 'the gradient for the filter' },
  fusedConv2d__op: {
    cases: CONVS,
    note: "not a kernel: tf.profile's name for tf.fused.conv2d's custom gradient (forward FusedConv2D, backward the Conv2DBackprop kernels and Sum)",
  },
  MaxPool: { cases: POOLS, results: forwardOnly, tol: 0 },
  MaxPoolGrad: { cases: POOLS, results: gradsOnly, note: 'the gradient of the maxPool cases' },
  FusedBatchNorm: { cases: BATCH_NORMS },
  [ADAM_UPDATE]: {
    cases: ADAM_UPDATES,
    note: "src/accelerated's Adam step where webgpu registers it; on cpu, tf.train.adam's arithmetic",
  },
};

// ---------------------------------------------------------------------------------------------

function makeInput(inp: Input, seed: number): tf.Tensor {
  const dtype = inp.dtype ?? 'float32';
  const n = tf.util.sizeFromShape(inp.shape);
  let values = seededFloats(n, seed, inp.lo ?? -1, inp.hi ?? 1);
  if (dtype !== 'float32' || inp.whole) values = values.map(Math.floor);
  return tf.tensor(values, inp.shape, dtype);
}

/** [forward, gradient of each `grads` input] of `c` on `backend`, as floats. */
function resultsOn(backend: string, c: Case, seed: number): Promise<Float32Array[]> {
  return valuesOn(backend, () => {
    const xs = c.inputs.map((inp, i) => makeInput(inp, seed + i));
    const y = c.fn(...xs);
    if (Array.isArray(y)) return y;
    if (!c.grads) return [y];
    const r = tf.tensor(seededFloats(y.size, seed + 1000), y.shape);
    const wrt = c.grads;
    const f = (...args: tf.Tensor[]) => {
      const full = xs.slice();
      wrt.forEach((k, i) => {
        full[k] = args[i]!;
      });
      return tf.sum(tf.mul(c.fn(...full) as tf.Tensor, r));
    };
    return [y, ...tf.grads(f)(wrt.map((k) => xs[k]!))];
  });
}

interface Outcome {
  /** Relative error of [forward, each gradient]. */
  errors: number[];
  /** The tfjs-webgpu programs (shader classes) the case ran on webgpu. */
  programs: Set<string>;
}
type ProgramRunner = { runWebGPUProgram: (program: { shaderKey?: string }, ...rest: unknown[]) => unknown };

/** Runs `c` on webgpu, on its shaders, and names the programs it ran. */
async function onWebgpu(c: Case): Promise<{ values: Float32Array[]; programs: Set<string> }> {
  const backend = tf.findBackend('webgpu') as unknown as ProgramRunner;
  const run = backend.runWebGPUProgram;
  const programs = new Set<string>();
  backend.runWebGPUProgram = function (this: ProgramRunner, program, ...rest) {
    const name = program.constructor.name;
    programs.add(name === 'Object' ? `${program.shaderKey}` : name.replace(/Program$/, '')); // ours are literals
    return run.call(this, program, ...rest);
  };
  // Inputs under 1000 elements not yet on the GPU would run tfjs's CPU code (WEBGPU_CPU_FORWARD), not a shader.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  try {
    return { values: await resultsOn('webgpu', c, 1), programs };
  } finally {
    tf.env().set('WEBGPU_CPU_FORWARD', true);
    backend.runWebGPUProgram = run;
  }
}

/** Each case runs once on each backend however many entries share it. */
const outcomes = new Map<Case, Promise<Outcome>>();
function outcome(c: Case): Promise<Outcome> {
  let p = outcomes.get(c);
  if (!p) {
    p = (async () => {
      const ref = await resultsOn('cpu', c, 1);
      const got = await onWebgpu(c);
      return { errors: ref.map((r, i) => relativeError(r, got.values[i] ?? [])), programs: got.programs };
    })();
    outcomes.set(c, p);
  }
  return p;
}

async function programsOf(cases: Case[]): Promise<Set<string>> {
  const all = new Set<string>();
  for (const c of cases) for (const p of (await outcome(c)).programs) all.add(p);
  return all;
}

/** Kernels that training uses and that CHECKS has no entry for. */
function unchecked(used: Iterable<string>, checks: Record<string, Check>): string[] {
  return [...used].filter((k) => !Object.hasOwn(checks, k)).sort((a, b) => a.localeCompare(b));
}

describe('every kernel training the shipped configs uses matches cpu on webgpu (SwiftShader)', () => {
  let usage: Usage | undefined;
  const report: {
    kernel: string;
    cases: number;
    worst: number;
    worstCase: string;
    tol: number;
    note: string;
    programs: string[];
  }[] = [];

  beforeAll(async () => {
    await useWebgpu();
  });

  afterAll(() => {
    if (usage) {
      const lines = [...usage.perConfig].map(([label, ks]) => `  ${label}: ${ks.join(' ')}`);
      console.log(`kernels per config (a training step, evaluate, predict):\n${lines.join('\n')}`);
    }
    const rows = report
      .sort((a, b) => a.kernel.localeCompare(b.kernel))
      .map((r) => {
        const tol = r.tol === 0 ? 'exact' : r.tol.toExponential(0);
        const note = r.note ? `; ${r.note}` : '';
        const at = r.worst > 0 ? ` (${r.worstCase})` : '';
        return `  ${r.kernel.padEnd(21)} ${String(r.cases).padStart(2)} cases  tol ${tol.padEnd(5)}  worst ${r.worst.toExponential(2)}${at}\n      programs: ${r.programs.join(' ')}${note}`;
      });
    console.log(`webgpu vs cpu, worst relative error per kernel:\n${rows.join('\n')}`);
  });

  it('records the kernels of a training step, evaluate and predict of every shipped config and sweep run', async () => {
    usage = await recordKernels();
    expect(CONFIGS).toEqual(expect.arrayContaining(['ann-seed.yaml', 'ann.yaml', 'cnn.yaml', 'cnn-augment.yaml']));
    expect(usage.perConfig.size).toBeGreaterThanOrEqual(CONFIGS.length + 20);
    expect([...usage.users.keys()]).toEqual(expect.arrayContaining(['FusedConv2D', 'Conv2DBackpropFilter', 'Pack']));
  });

  it('has a check for every one of them', () => {
    if (!usage) throw new Error('the kernels were not recorded (see the test before)');
    const { users } = usage;
    const missing = unchecked(users.keys(), CHECKS);
    const detail = missing.map((k) => `${k} (${users.get(k)![0]}${users.get(k)!.length > 1 ? ' and others' : ''})`);
    expect(missing, `kernels used in training with no check in CHECKS: ${detail.join(', ')}`).toEqual([]);
  });

  it('finds each of them registered for webgpu: tfjs neither falls back nor throws', () => {
    if (!usage) throw new Error('the kernels were not recorded (see the test before)');
    // The names tf.profile gives a custom gradient's scope (`<op>__op`) are no kernels.
    const kernels = [...usage.users.keys()].filter((k) => !k.endsWith('__op'));
    expect(kernels.filter((k) => tf.getKernel(k, 'webgpu') === undefined)).toEqual([]);
  });

  it('names the kernels it has no check for', () => {
    expect(unchecked(['Add', 'NotAKernel', 'AlsoMissing'], CHECKS)).toEqual(['AlsoMissing', 'NotAKernel']);
  });

  // cnn.yaml has every kind of layer narrowed() changes: hidden dense, conv2d, and the batch norms after them.
  it('records the same kernels for cnn.yaml at its full widths as narrowed', async () => {
    const { config } = await loadConfig('configs/cnn.yaml');
    expect(await kernelsOf(config)).toEqual(await kernelsOf(narrowed(config)));
  });

  it.each(Object.keys(CHECKS).sort((a, b) => a.localeCompare(b)))('%s', async (kernel) => {
    const check = CHECKS[kernel]!;
    const tol = check.tol ?? TOL;
    let worst = 0;
    let worstCase = '';
    const failures: string[] = [];
    for (const c of check.cases) {
      const { errors } = await outcome(c);
      const picked = check.results ? check.results(c) : errors.map((_, i) => i);
      for (const i of picked) {
        const e = errors[i]!;
        if (Number.isNaN(e) || e > worst) [worst, worstCase] = [e, `${c.title}${i === 0 ? '' : `, gradient ${i}`}`];
        if (!(e <= tol)) failures.push(`${c.title}: ${i === 0 ? 'forward' : `gradient ${i}`} off by ${e}`);
      }
    }
    const programs = [...(await programsOf(check.cases))];
    report.push({ kernel, cases: check.cases.length, worst, worstCase, tol, note: check.note ?? '', programs });
    expect(failures, `${kernel} differs from cpu beyond ${tol}`).toEqual([]);
  });

  it('runs every program tfjs-webgpu picks between for matMul and conv2d, forward and backward', async () => {
    const matMul = await programsOf([...MATMULS, ...FUSED_MATMULS]);
    for (const p of ['MatMulReduce', 'MatMulSmallOutputSize', 'MatMulSplitK', 'MatMulPacked'])
      expect(matMul).toContain(p);
    const conv = await programsOf(CONVS);
    // Conv2DMM for most shapes, im2col then a matMul when few workgroups, a matMul alone for 1x1 filters;
    // the input's gradient by Conv2DDerInput (tfjs-webgpu's default, WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE).
    for (const p of ['Conv2DMM', 'Im2Col', 'MatMulSmallOutputSize', 'Conv2DDerInput', 'Conv2DDerFilter'])
      expect(conv).toContain(p);
  });
});
