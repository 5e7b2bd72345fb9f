import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../src/config/checks.js';
import { MNIST } from '../src/config/data-facts.js';
import { ConfigSchema, type LayerSpec } from '../src/config/schema.js';
import { inferShapes } from '../src/config/shapes.js';
import { cnn } from './helpers/specs.js';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

/** The per-sample output shapes tfjs itself gives the same stack (config args are tfjs args). */
function tfjsShapes(layers: LayerSpec[], inputShape: number[]): number[][] {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape }));
  for (const { type, ...args } of layers)
    model.add((tf.layers as unknown as Record<string, (a: object) => tf.layers.Layer>)[type]!(args));
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => (l.outputShape as number[]).slice(1));
}

const parseLayers = (layers: object[]) => ConfigSchema.parse({ model: { layers } }).model.layers;
const image = { type: 'reshape', targetShape: [28, 28, 1] };

describe('inferShapes agrees with tfjs', () => {
  it.each([
    ['the notebook CNN', cnn.model.layers],
    ['dense on a [28, 28] sample (applied to the last axis)', [{ type: 'dense', units: 5 }, { type: 'flatten' }]],
    [
      'pooling with strides and same padding',
      [
        image,
        { type: 'maxPooling2d', poolSize: 3, strides: 2 },
        { type: 'averagePooling2d', poolSize: [2, 3], padding: 'same' },
      ],
    ],
    [
      'a strided same convolution on odd sizes',
      [
        { type: 'reshape', targetShape: [7, 112, 1] },
        { type: 'conv2d', filters: 4, kernelSize: [3, 5], strides: 2, padding: 'same' },
      ],
    ],
    ['a dilated convolution', [image, { type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 2 }]],
    [
      'all three zero-padding forms',
      [
        image,
        { type: 'zeroPadding2d' },
        { type: 'zeroPadding2d', padding: [1, 2] },
        {
          type: 'zeroPadding2d',
          padding: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    ],
    [
      "one-sided zero padding, as Keras's ((0, 1), (0, 1))",
      [
        image,
        {
          type: 'zeroPadding2d',
          padding: [
            [0, 1],
            [0, 1],
          ],
        },
      ],
    ],
    ['global pooling', [image, { type: 'conv2d', filters: 6, kernelSize: 5 }, { type: 'globalMaxPooling2d' }]],
    [
      'batch norm on the rows axis',
      [
        { type: 'batchNormalization', axis: 1 },
        { type: 'dropout', rate: 0.5 },
      ],
    ],
  ])('for %s', (_, layers) => {
    const specs = parseLayers(layers as object[]);
    const { shapes, issues } = inferShapes(specs, [28, 28]);
    expect(issues).toEqual([]);
    expect(shapes).toEqual(tfjsShapes(specs, [28, 28]));
  });

  it('gives the notebook CNN the shapes of its Keras summary', () => {
    const { shapes } = inferShapes(parseLayers(cnn.model.layers as unknown as object[]), [28, 28]);
    expect(shapes.slice(1, 9)).toEqual([
      [26, 26, 32],
      [26, 26, 32],
      [26, 26, 32],
      [24, 24, 32],
      [24, 24, 32],
      [24, 24, 32],
      [12, 12, 32],
      [4608],
    ]);
  });
});

describe('inferShapes stops at the first layer that cannot take its input', () => {
  it.each([
    [
      'conv2d on a flat sample',
      [{ type: 'flatten' }, { type: 'conv2d', filters: 2, kernelSize: 3 }],
      'model.layers[1]',
      'conv2d needs samples shaped [rows, cols, channels], it receives [784]; add {type: reshape, targetShape: [28, 28, 1]} before it',
    ],
    [
      'pooling a window larger than the image',
      [image, { type: 'maxPooling2d', poolSize: 30 }],
      'model.layers[1].poolSize',
      'the 30x30 window is larger than its 28x28 input; use a smaller poolSize, padding: same, or less downsampling before it',
    ],
    [
      'a dilated kernel that overhangs',
      [image, { type: 'maxPooling2d', poolSize: 4 }, { type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 4 }],
      'model.layers[2].kernelSize',
      'the 3x3 window (9x9 dilated) is larger than its 7x7 input; use a smaller kernelSize, padding: same, or less downsampling before it',
    ],
    [
      'strides with dilation',
      [image, { type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }],
      'model.layers[1].dilationRate',
      'tfjs cannot combine strides > 1 with dilationRate > 1; set one of them to 1',
    ],
    [
      'a reshape that changes the count',
      [{ type: 'reshape', targetShape: [27, 28, 1] }],
      'model.layers[0].targetShape',
      '[27, 28, 1] holds 756 values but its input [28, 28] holds 784; the products must match',
    ],
    [
      'flatten twice',
      [{ type: 'flatten' }, { type: 'flatten' }],
      'model.layers[1]',
      'flatten needs samples of rank 2 or more, it receives [784] (already flat); remove it',
    ],
    [
      'a batch-norm axis past the sample',
      [{ type: 'batchNormalization', axis: 3 }],
      'model.layers[0].axis',
      'expected an axis from -2 to 2 other than 0 (the batch axis) for samples shaped [28, 28], received 3',
    ],
    [
      'global pooling on [28, 28]',
      [{ type: 'globalAveragePooling2d' }],
      'model.layers[0]',
      'globalAveragePooling2d needs samples shaped [rows, cols, channels], it receives [28, 28]; add {type: reshape, targetShape: [28, 28, 1]} before it',
    ],
  ])('%s', (_, layers, path, message) => {
    const specs = parseLayers(layers);
    const { shapes, issues } = inferShapes(specs, [28, 28]);
    expect(issues).toEqual([{ severity: 'error', path, message }]);
    expect(shapes.length).toBe(Number(/\[(\d+)\]/.exec(path)![1]));
  });
});

describe('checkConfig', () => {
  const cfg = (extra: object) =>
    ConfigSchema.parse({
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] },
      ...extra,
    });
  const messages = (c: ReturnType<typeof cfg>, classes?: number, shape?: number[]) =>
    checkConfig(c, {
      ...MNIST,
      ...(classes !== undefined && { numClasses: classes }),
      ...(shape && { rows: shape[0]!, cols: shape[1]! }),
    }).map((i) => `${i.severity} ${i.path}: ${i.message}`);

  it('finds nothing wrong with a small softmax classifier', () => {
    expect(messages(cfg({}))).toEqual([]);
  });

  it.each([
    [
      'a [28, 10] output',
      { model: { layers: [{ type: 'dense', units: 10, activation: 'softmax' }] } },
      'error model.layers[0]: the last layer must give 10 outputs (one per class), it gives [28, 10]; end with {type: flatten} then {type: dense, units: 10}',
    ],
    [
      'a linear output under cross-entropy',
      { model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }, { type: 'dropout', rate: 0.1 }] } },
      "error model.layers[1]: loss categoricalCrossentropy expects class probabilities, but the network's output activation is linear; end with {type: activation, activation: softmax} or set activation: softmax on the last dense layer",
    ],
    [
      'softmax under mean squared error',
      { loss: 'meanSquaredError' },
      'warning loss: meanSquaredError on a softmax output is allowed, but trains slowly, as the notebook shows (12.8% test accuracy after 5 epochs of sgd); categoricalCrossentropy learns far faster',
    ],
    [
      'a monitored metric that is not configured',
      { train: { validation: { split: 0.1 }, earlyStopping: { monitor: 'val_meanSquaredError' } } },
      'error train.earlyStopping.monitor: expected one of: loss, accuracy, val_loss, val_accuracy, received "val_meanSquaredError"',
    ],
    [
      'a batch larger than the data',
      { data: { trainSize: 10 } },
      'warning train.batchSize: batchSize 32 is larger than data.trainSize 10: every epoch is one batch of 10',
    ],
  ])('reports %s', (_, extra, expected) => {
    expect(messages(cfg(extra))).toEqual([expected]);
  });

  it('accepts monitoring a configured metric on validation data', () => {
    expect(
      messages(
        cfg({
          metrics: ['accuracy', 'meanAbsoluteError'],
          train: { validation: 'test', earlyStopping: { monitor: 'val_meanAbsoluteError' } },
        }),
      ),
    ).toEqual([]);
  });

  it('takes the class count and sample shape from the caller', () => {
    expect(messages(cfg({}), 26, [32, 32])).toEqual([
      'error model.layers[1].units: the last layer must give 26 outputs (one per class), it gives [10]; set units: 26',
    ]);
  });
});
