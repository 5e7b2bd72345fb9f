/**
 * A model in inference: its outputs for a batch, as model.predict gives them, through the active
 * backend's native forward pass where it has one for the model (onednn: the whole layer stack in
 * one call, src/backend/onednn/layer-stack.ts), else model.predict; and the loss and metrics that
 * tfjs's model.evaluate computes from those outputs. Evaluation, predictions and the benchmark's
 * inference figure all go through here.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedPredict } from '../accelerated/index.js';

export interface Inference {
  /** Which forward pass, in words: the native one, or model.predict and why not the native one. */
  kind: string;
  /** The outputs for `rows` samples of `sampleShape` in `images`: a [rows, classes] tensor the caller disposes. */
  outputs: (images: Float32Array, rows: number) => tf.Tensor;
  /**
   * The outputs for the first `count` samples of `images`, `batchSize` at a time (so a whole set's
   * activations are never held at once): each batch's handed to `use` with its first and last + 1
   * sample, then disposed.
   */
  inBatches: (
    images: Float32Array,
    count: number,
    batchSize: number,
    use: (outputs: tf.Tensor, start: number, end: number) => Promise<void>,
  ) => Promise<void>;
}

export function makeInference(model: tf.LayersModel, sampleShape: number[]): Inference {
  const native = fusedPredict(model);
  const width = (model.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const outputs: Inference['outputs'] = native.ok
    ? (images, rows) => tf.tensor2d(native.predict(images, rows), [rows, width])
    : (images, rows) =>
        tf.tidy(() => {
          const x = tf.tensor(images, [rows, ...sampleShape]);
          return model.predict(x, { batchSize: rows }) as tf.Tensor; // tfjs would split it into batches of 32
        });
  const per = sampleShape.reduce((a, b) => a * b, 1);
  return {
    kind: native.ok ? native.name : `tfjs model.predict (native forward not taken: ${native.reason})`,
    outputs,
    inBatches: async (images, count, batchSize, use) => {
      for (let start = 0; start < count; start += batchSize) {
        const end = Math.min(count, start + batchSize);
        const out = outputs(images.subarray(start * per, end * per), end - start);
        try {
          await use(out, start, end);
        } finally {
          out.dispose();
        }
      }
    },
  };
}

/** The compiled loss and metric functions of tfjs-layers 4.22 (protected API, pinned by our exact version). */
interface Compiled {
  lossFunctions: ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor)[];
  metricsTensors: [(yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor, number][];
}

/**
 * [loss, ...metrics] of `outputs` against `targets`, each the batch's mean, in compile order: what
 * model.evaluate computes for a batch from the same outputs (its test function adds no
 * regularization). One scalar tensor each; the caller disposes them.
 */
export function scoreOutputs(model: tf.LayersModel, targets: tf.Tensor, outputs: tf.Tensor): tf.Scalar[] {
  // A Sequential compiles the functional model it wraps.
  const inner = (model instanceof tf.Sequential
    ? (model as unknown as { model: tf.LayersModel }).model
    : model) as unknown as Compiled;
  return tf.tidy(() => [
    tf.mean(inner.lossFunctions[0]!(targets, outputs)) as tf.Scalar,
    ...inner.metricsTensors.map(([metric]) => tf.mean(metric(targets, outputs)) as tf.Scalar),
  ]);
}
