import { type ConfigIssue, error } from './issue.js';
import type { Config, LayerSpec, OptimizerSpec } from './schema.js';

/**
 * What training a config will hold in memory, from the inferred shapes alone (no tfjs): weights,
 * their gradients, the optimizer's slots, one batch's activations and the data set. An estimate
 * to refuse what cannot fit before minutes of allocation, not an accounting of tfjs's peak.
 */

export interface MemoryEstimate {
  params: number;
  trainableParams: number;
  /** Bytes of each part, and their total. */
  bytes: { weights: number; gradients: number; optimizer: number; activations: number; data: number; total: number };
  /** Values in the largest single tensor, and the config place that makes it. */
  largestTensor: { values: number; path: string; what: string };
}

/** What the data gives; the defaults are MNIST's. */
export interface DataSize {
  trainCount: number;
  testCount: number;
  pixels: number;
}

const FLOAT = 4;

/**
 * tfjs keeps a tensor in one typed array, and V8 on Node 20 refuses one longer than 2^32 values
 * (`Invalid typed array length`); int32 sizes and indices inside tfjs kernels stop at 2^31 - 1.
 */
export const MAX_TENSOR_VALUES = 2 ** 31 - 1;

/** Slots per trainable weight, as tf.train 4.22 creates them. */
const SLOTS: { [K in OptimizerSpec['type']]: (o: Extract<OptimizerSpec, { type: K }>) => number } = {
  sgd: () => 0,
  momentum: () => 1,
  adam: () => 2,
  rmsprop: (o) => (o.centered ? 3 : 2),
  adagrad: () => 1,
  adadelta: () => 2,
  adamax: () => 2,
};

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A layer's weights: trainable and not (batch norm's moving statistics), with the key that sizes them. */
function layerParams(spec: LayerSpec, input: number[]): { trainable: number; fixed: number; key: string } {
  switch (spec.type) {
    case 'dense': {
      const bias = spec.useBias === false ? 0 : spec.units;
      return { trainable: input[input.length - 1]! * spec.units + bias, fixed: 0, key: 'units' };
    }
    case 'conv2d': {
      const [kh, kw] = typeof spec.kernelSize === 'number' ? [spec.kernelSize, spec.kernelSize] : spec.kernelSize;
      const bias = spec.useBias === false ? 0 : spec.filters;
      return { trainable: kh * kw * input[2]! * spec.filters + bias, fixed: 0, key: 'filters' };
    }
    case 'batchNormalization': {
      const axis = spec.axis ?? -1;
      const features = input[axis < 0 ? input.length + axis : axis - 1] ?? 0;
      const learned = (spec.center === false ? 0 : 1) + (spec.scale === false ? 0 : 1);
      return { trainable: learned * features, fixed: 2 * features, key: 'axis' };
    }
    default:
      return { trainable: 0, fixed: 0, key: '' };
  }
}

/** The estimate for a config whose every layer's output shape is known (`shapes[i]` is layer i's). */
export function estimateMemory(cfg: Config, inputShape: number[], shapes: number[][], data: DataSize): MemoryEstimate {
  const batch = Math.min(cfg.train.batchSize, data.trainCount);
  let [trainable, fixed, outputs] = [0, 0, product(inputShape)];
  let largest = { values: batch * product(inputShape), path: 'train.batchSize', what: 'the input batch' };
  const bigger = (values: number, path: string, what: string) => {
    if (values > largest.values) largest = { values, path, what };
  };
  for (const [i, spec] of cfg.model.layers.entries()) {
    const input = i === 0 ? inputShape : shapes[i - 1]!;
    const p = layerParams(spec, input);
    trainable += p.trainable;
    fixed += p.fixed;
    outputs += product(shapes[i]!);
    bigger(p.trainable, `model.layers[${i}]${p.key ? `.${p.key}` : ''}`, 'its weights');
    bigger(batch * product(shapes[i]!), `model.layers[${i}]`, `its output for a batch of ${batch}`);
  }
  bigger((data.trainCount + data.testCount) * data.pixels, 'data.trainSize', 'the images as float32');
  const slots = (SLOTS[cfg.optimizer.type] as (o: OptimizerSpec) => number)(cfg.optimizer);
  const bytes = {
    weights: (trainable + fixed) * FLOAT,
    gradients: trainable * FLOAT,
    // The slots, and an update's new slots and weights, made before the old ones are disposed.
    optimizer: (2 * slots + 1) * trainable * FLOAT,
    // Every layer's output is kept for backprop, and each gets a gradient of its size on the way back.
    activations: 2 * batch * outputs * FLOAT,
    // Pixels as float32, plus the file's bytes they were read from.
    data: (data.trainCount + data.testCount) * data.pixels * (FLOAT + 1),
  };
  const total = Object.values(bytes).reduce((a, b) => a + b, 0);
  return { params: trainable + fixed, trainableParams: trainable, bytes: { ...bytes, total }, largestTensor: largest };
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A size for people, in MiB below a GiB. */
export function formatSize(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The part of the estimate that is largest, and the config place that shrinks it. */
function largestPart(cfg: Config, e: MemoryEstimate): { path: string; fix: string } {
  const { bytes } = e;
  const model = bytes.weights + bytes.gradients + bytes.optimizer;
  if (bytes.data >= model && bytes.data >= bytes.activations) {
    return { path: 'data.trainSize', fix: 'use fewer images (data.trainSize, data.testSize)' };
  }
  if (bytes.activations >= model) {
    return {
      path: 'train.batchSize',
      fix: `lower train.batchSize (${cfg.train.batchSize}) or make the widest layer smaller`,
    };
  }
  const weighty = e.largestTensor.path.startsWith('model.layers') ? e.largestTensor.path : 'model.layers';
  return { path: weighty, fix: 'make the largest layer smaller (fewer units or filters), or downsample before it' };
}

/** One line: parameters and the memory training needs. */
export function describeEstimate(e: MemoryEstimate, memory: number): string {
  const b = e.bytes;
  return (
    `${fmt(e.params)} parameters; training needs about ${formatSize(b.total)} of this machine's ${formatSize(memory)} ` +
    `(weights ${formatSize(b.weights)}, gradients ${formatSize(b.gradients)}, optimizer ${formatSize(b.optimizer)}, ` +
    `activations ${formatSize(b.activations)}, data ${formatSize(b.data)})`
  );
}

/** The share of the machine's memory a run may count on: the OS, Node and tfjs itself need the rest. */
export const USABLE_MEMORY = 0.8;

/** Refusals: a tensor past tfjs's typed-array limit, or a total past what the machine's memory allows. */
export function memoryIssues(cfg: Config, e: MemoryEstimate, memory: number): ConfigIssue[] {
  const t = e.largestTensor;
  if (t.values > MAX_TENSOR_VALUES) {
    return [
      error(
        t.path,
        `${t.what} would be one tensor of ${fmt(t.values)} values, over the ${fmt(MAX_TENSOR_VALUES)} tfjs can hold in one ` +
          `typed array; ${t.path === 'train.batchSize' || t.what.startsWith('its output') ? 'lower train.batchSize or make this layer smaller' : 'make it smaller'}`,
      ),
    ];
  }
  if (e.bytes.total <= memory * USABLE_MEMORY) return [];
  const { path, fix } = largestPart(cfg, e);
  return [
    error(
      path,
      `training would need about ${formatSize(e.bytes.total)}, more than the ${formatSize(memory * USABLE_MEMORY)} it may use ` +
        `(${USABLE_MEMORY * 100}% of this machine's ${formatSize(memory)}) ` +
        `(${fmt(e.params)} parameters: weights ${formatSize(e.bytes.weights)}, gradients ${formatSize(e.bytes.gradients)}, ` +
        `optimizer ${formatSize(e.bytes.optimizer)}, activations ${formatSize(e.bytes.activations)}, data ${formatSize(e.bytes.data)}); ${fix}`,
    ),
  ];
}
