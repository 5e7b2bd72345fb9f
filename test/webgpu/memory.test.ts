/**
 * Training on webgpu holds the same GPU memory every epoch: the tensor count and
 * tf.memory().numBytesInGPU, read at each epoch's start, before its validation and at its end, are
 * the same from the first epoch's end on (the first epoch creates the optimizer's slots), and a
 * finished trainModel leaves nothing behind (its uploaded training set is released). In process, on
 * a small network with every kind of layer the shipped CNN has: convolution, batch normalization,
 * pooling, dropout, dense.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { type Dataset, loadDataset } from '../../src/data/dataset.js';
import { compileModel } from '../../src/model/compile.js';
import type { Callback } from '../../src/train/callbacks/types.js';
import { type TrainOptions, trainModel } from '../../src/train/loop.js';
import { useWebgpu } from '../helpers/webgpu.js';

interface Memory {
  numTensors: number;
  numBytesInGPU: number;
}
const memory = (): Memory => {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return { numTensors: m.numTensors, numBytesInGPU: m.numBytesInGPU ?? Number.NaN };
};

/** Memory at each epoch's start, after its last batch (before validation) and at its end (after it). */
interface Trace {
  begin: Memory[];
  beforeValidation: Memory[];
  end: Memory[];
}

function recorder(trace: Trace): Callback {
  let last: Memory | undefined;
  return {
    onEpochBegin: () => void trace.begin.push(memory()),
    onBatchEnd: (b) => {
      if (b.batch === b.batches) last = memory();
    },
    onEpochEnd: () => {
      trace.beforeValidation.push(last!);
      trace.end.push(memory());
    },
  };
}

/** Each epoch (from `from`, 0-based) whose reading differs from the first epoch's end: empty when flat. */
function growth(trace: Trace): string[] {
  const ref = trace.end[0]!;
  const out: string[] = [];
  const check = (what: string, list: Memory[], from: number) => {
    for (let i = from; i < list.length; i++) {
      const m = list[i]!;
      if (m.numTensors !== ref.numTensors || m.numBytesInGPU !== ref.numBytesInGPU)
        out.push(
          `epoch ${i + 1} ${what}: ${m.numTensors} tensors, ${m.numBytesInGPU} bytes on the GPU; after epoch 1: ${ref.numTensors}, ${ref.numBytesInGPU}`,
        );
    }
  };
  check('start', trace.begin, 1);
  check('before validation', trace.beforeValidation, 0);
  check('end', trace.end, 1);
  return out;
}

const config = ConfigSchema.parse({
  seed: 3,
  model: {
    layers: [
      { type: 'reshape', targetShape: [28, 28, 1] },
      { type: 'conv2d', filters: 4, kernelSize: 3 },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  optimizer: { type: 'adam', learningRate: 0.001 },
});

let data: Dataset;
let model: tf.LayersModel;
beforeAll(async () => {
  await useWebgpu();
  data = await loadDataset({ trainSize: 48, testSize: 16 });
  model = compileModel(config, [data.rows, data.cols], config.seed);
});

const options = (epochs: number, callbacks: Callback[]): TrainOptions => ({
  model,
  train: data.train,
  validation: data.test,
  sampleShape: [data.rows, data.cols],
  numClasses: data.numClasses,
  labelFormat: 'oneHot',
  metricNames: ['accuracy'],
  epochs,
  batchSize: 16,
  seed: config.seed,
  callbacks,
});

describe('GPU memory while training on webgpu', () => {
  it('is flat across epochs and across validation, and a finished run leaves nothing behind', async () => {
    const trace: Trace = { begin: [], beforeValidation: [], end: [] };
    const feeds: string[] = [];
    await trainModel({ ...options(4, [recorder(trace)]), onFeed: (kind) => feeds.push(kind) });
    expect(feeds[0]).toMatch(/on the GPU; the training set uploaded once/); // the feed under test
    expect(trace.end).toHaveLength(4);
    expect(trace.end[0]!.numBytesInGPU).toBeGreaterThan(0);
    expect(growth(trace)).toEqual([]);

    // A second run on the same model: afterwards the same memory as after the first.
    const after = memory();
    const again: Trace = { begin: [], beforeValidation: [], end: [] };
    await trainModel(options(2, [recorder(again)]));
    expect(growth(again)).toEqual([]);
    expect(again.end[0]).toEqual(trace.end[0]);
    expect(memory()).toEqual(after);
  });

  it('would see a leak: one GPU tensor a batch kept by mistake', async () => {
    const trace: Trace = { begin: [], beforeValidation: [], end: [] };
    const leak: Callback = { onBatchEnd: () => void tf.keep(tf.add(tf.ones([64]), 1)) };
    await trainModel(options(3, [recorder(trace), leak]));
    const found = growth(trace);
    expect(found).toContainEqual(expect.stringMatching(/^epoch 2 end: \d+ tensors/));
    expect(found).toContainEqual(expect.stringMatching(/^epoch 3 end: \d+ tensors/));
  });
});
