/**
 * The two notebook models, built from the project's layers (tfjs's, with fused kernels on onednn)
 * without the config pipeline.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from '../src/model/batch-norm.js';
import { conv2d } from '../src/model/conv2d.js';
import { dense } from '../src/model/dense.js';

export type ModelName = 'ann' | 'cnn';
/** tf.train.adam, or a drop-in such as acceleratedAdam. */
export type AdamFactory = (learningRate: number) => tf.Optimizer;
const plainAdam: AdamFactory = (lr) => tf.train.adam(lr);

export function buildAnn(adam = plainAdam): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [28, 28] }));
  m.add(dense({ units: 512, activation: 'sigmoid' }));
  m.add(dense({ units: 128, activation: 'sigmoid' }));
  m.add(dense({ units: 10, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam(0.001) });
  return m;
}

export function buildCnn(adam = plainAdam): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [28, 28] }));
  m.add(conv2d({ filters: 32, kernelSize: 3 }));
  m.add(batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(conv2d({ filters: 32, kernelSize: 3 }));
  m.add(batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(dense({ units: 128 }));
  m.add(batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.dropout({ rate: 0.2 }));
  m.add(dense({ units: 10, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam(0.01) });
  return m;
}

export const BUILDERS: Record<ModelName, (adam?: AdamFactory) => tf.LayersModel> = { ann: buildAnn, cnn: buildCnn };

/** A random batch: pixel values in [0,1) and one-hot labels; content does not change the cost. */
export function randomBatch(batch: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomUniform([batch, 28, 28], 0, 1, 'float32', 1);
    const labels = tf.randomUniform([batch], 0, 10, 'int32', 2);
    return { x, y: tf.oneHot(labels, 10).toFloat() };
  });
}

/** FLOP per training sample (forward + both backward GEMMs), for the GFLOP/s figure. */
export const MFLOP_PER_SAMPLE: Record<ModelName, number> = { ann: 2.8, cnn: 36.6 };
