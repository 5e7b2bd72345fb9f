import { type ConfigIssue, error } from './issue.js';
import type { LayerSpec, LayerType } from './layers.js';

/**
 * Shape inference in plain TypeScript, without tfjs, so `validate` can say which layer breaks the
 * shapes before anything heavy loads. Shapes are per sample (no batch axis), as in the config.
 * The arithmetic follows tfjs-layers 4.22 (which also rejects what is rejected here).
 */

type SpecOf<K extends LayerType> = Extract<LayerSpec, { type: K }>;
/** A layer that cannot take its input: the offending key (if one) and why. */
interface Failure {
  key?: string;
  message: string;
}
type Rule<K extends LayerType> = (spec: SpecOf<K>, input: number[], inputShape: number[]) => number[] | Failure;
type Pair = [number, number];

export const formatShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const isPair = (v: Pair | [Pair, Pair]): v is Pair => typeof v[0] === 'number';
const pair = (v: number | Pair | undefined, dflt: number): Pair =>
  v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;

/** conv2d and the pooling layers want [rows, cols, channels]; say how to get there from what they receive. */
function needsImage(type: string, input: number[], inputShape: number[]): Failure | undefined {
  if (input.length === 3) return undefined;
  const fits = product(input) === product(inputShape) && inputShape.length === 2;
  const fix = fits
    ? `add {type: reshape, targetShape: ${formatShape([...inputShape, 1])}} before it`
    : 'reshape its input to [rows, cols, channels] first';
  return { message: `${type} needs samples shaped [rows, cols, channels], it receives ${formatShape(input)}; ${fix}` };
}

interface Window {
  size: Pair;
  strides: Pair;
  dilation: Pair;
  padding: SpecOf<'conv2d' | 'maxPooling2d' | 'averagePooling2d'>['padding'];
  key: string;
}

/** Output rows and cols of a sliding window; 'valid' drops positions where the window would overhang. */
function slide(input: number[], w: Window): Pair | Failure {
  const span = w.size.map((k, i) => (k - 1) * w.dilation[i]! + 1) as Pair;
  if (w.padding === 'same') return [Math.ceil(input[0]! / w.strides[0]), Math.ceil(input[1]! / w.strides[1])];
  if (span[0] > input[0]! || span[1] > input[1]!) {
    const dilated = w.dilation.some((d) => d > 1) ? ` (${span.join('x')} dilated)` : '';
    return {
      key: w.key,
      message: `the ${w.size.join('x')} window${dilated} is larger than its ${input[0]}x${input[1]} input; use a smaller ${w.key}, padding: same, or less downsampling before it`,
    };
  }
  return [Math.floor((input[0]! - span[0]) / w.strides[0]) + 1, Math.floor((input[1]! - span[1]) / w.strides[1]) + 1];
}

function pool(spec: SpecOf<'maxPooling2d' | 'averagePooling2d'>, input: number[], inputShape: number[]) {
  const bad = needsImage(spec.type, input, inputShape);
  if (bad) return bad;
  const size = pair(spec.poolSize, 2);
  const out = slide(input, {
    size,
    strides: pair(spec.strides, 0).map((s, i) => s || size[i]!) as Pair,
    dilation: [1, 1],
    padding: spec.padding,
    key: 'poolSize',
  });
  return Array.isArray(out) ? [...out, input[2]!] : out;
}

function conv2d(spec: SpecOf<'conv2d'>, input: number[], inputShape: number[]) {
  const bad = needsImage('conv2d', input, inputShape);
  if (bad) return bad;
  const strides = pair(spec.strides, 1);
  const dilation = pair(spec.dilationRate, 1);
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    return {
      key: 'dilationRate',
      message: 'tfjs cannot combine strides > 1 with dilationRate > 1; set one of them to 1',
    };
  }
  const out = slide(input, {
    size: pair(spec.kernelSize, 1),
    strides,
    dilation,
    padding: spec.padding,
    key: 'kernelSize',
  });
  return Array.isArray(out) ? [...out, spec.filters] : out;
}

function batchNormalization(spec: SpecOf<'batchNormalization'>, input: number[]) {
  const axis = spec.axis ?? -1;
  const r = input.length;
  if (axis !== 0 && axis <= r && axis >= -r) return input;
  return {
    key: 'axis',
    message: `expected an axis from -${r} to ${r} other than 0 (the batch axis) for samples shaped ${formatShape(input)}, received ${axis}`,
  };
}

function zeroPadding2d(spec: SpecOf<'zeroPadding2d'>, input: number[], inputShape: number[]) {
  const bad = needsImage('zeroPadding2d', input, inputShape);
  if (bad) return bad;
  const p = spec.padding ?? 1;
  const [rows, cols]: [Pair, Pair] =
    typeof p === 'number'
      ? [
          [p, p],
          [p, p],
        ]
      : isPair(p)
        ? [
            [p[0], p[0]],
            [p[1], p[1]],
          ]
        : p;
  return [input[0]! + rows[0] + rows[1], input[1]! + cols[0] + cols[1], input[2]!];
}

/** One rule per layer type: a schema variant without a rule here does not compile. */
const RULES: { [K in LayerType]: Rule<K> } = {
  flatten: (_, input) =>
    input.length >= 2
      ? [product(input)]
      : {
          message: `flatten needs samples of rank 2 or more, it receives ${formatShape(input)} (already flat); remove it`,
        },
  reshape: (spec, input) =>
    product(spec.targetShape) === product(input)
      ? spec.targetShape
      : {
          key: 'targetShape',
          message: `${formatShape(spec.targetShape)} holds ${product(spec.targetShape)} values but its input ${formatShape(input)} holds ${product(input)}; the products must match`,
        },
  dense: (spec, input) => [...input.slice(0, -1), spec.units],
  activation: (_, input) => input,
  dropout: (_, input) => input,
  batchNormalization,
  conv2d,
  maxPooling2d: pool,
  averagePooling2d: pool,
  globalAveragePooling2d: (spec, input, inputShape) => needsImage(spec.type, input, inputShape) ?? [input[2]!],
  globalMaxPooling2d: (spec, input, inputShape) => needsImage(spec.type, input, inputShape) ?? [input[2]!],
  zeroPadding2d,
};

/**
 * The output shape of every layer, stopping at the first layer that cannot take its input
 * (later shapes would be guesses). `shapes[i]` is layer i's output; `shapes.length < layers.length`
 * means an issue stopped it.
 */
export function inferShapes(
  layers: readonly LayerSpec[],
  inputShape: number[],
): { shapes: number[][]; issues: ConfigIssue[] } {
  const shapes: number[][] = [];
  let input = inputShape;
  for (const [i, spec] of layers.entries()) {
    const out = (RULES[spec.type] as Rule<LayerType>)(spec, input, inputShape);
    if (!Array.isArray(out)) {
      return { shapes, issues: [error(`model.layers[${i}]${out.key ? `.${out.key}` : ''}`, out.message)] };
    }
    shapes.push(out);
    input = out;
  }
  return { shapes, issues: [] };
}
