/**
 * Scoring a set of samples with the model as it stands: the loss and metrics model.evaluate would
 * give, and where asked every sample's outputs (the class probabilities), from one forward pass
 * (src/model/inference.ts: native where the backend has one). Validation after each epoch and the
 * test set's results at the end of a run both go through here.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceTraits } from '../accelerated/index.js';
import { makeInference, scoreOutputs } from '../model/inference.js';
import { type LabelFormat, labelTensor, type Samples } from './batches.js';

export interface ScoreOptions {
  sampleShape: number[];
  numClasses: number;
  labelFormat: LabelFormat;
  metricNames: readonly string[];
  /** The training batch size: inference takes larger batches where the device holds them. */
  batchSize: number;
}

export interface Scored {
  /** Mean loss and metrics over the samples, keyed `loss` and by metric name. */
  metrics: Record<string, number>;
  /** Every sample's outputs, row-major (count × classes), where `keepOutputs` asked for them. */
  outputs?: Float32Array;
}

/**
 * The batch size evaluation and prediction use: at least 256 (fewer, larger kernel calls), but never
 * more than the training batch where the device could not hold the larger one's tensors.
 */
export function inferenceBatchSize(model: tf.LayersModel, trainBatchSize: number): number {
  const larger = Math.max(trainBatchSize, 256);
  return deviceTraits()?.checkFits(model, larger) ? trainBatchSize : larger;
}

/**
 * Scores `data` in batches, one read-back per batch; the set goes to the backend a batch at a time,
 * so on a GPU it never has to fit one buffer. Batch means are weighted by the batch's size, as
 * model.evaluate weights them.
 */
export async function scoreSamples(
  model: tf.LayersModel,
  data: Samples,
  o: ScoreOptions,
  keepOutputs = false,
): Promise<Scored> {
  const names = ['loss', ...o.metricNames];
  const sums = new Array<number>(names.length).fill(0);
  let kept: Float32Array | undefined;
  const batchSize = inferenceBatchSize(model, o.batchSize);
  await makeInference(model, o.sampleShape).inBatches(
    data.images,
    data.count,
    batchSize,
    async (outputs, start, end) => {
      const stacked = tf.tidy(() => {
        const y = labelTensor(data.labels.subarray(start, end), o.numClasses, o.labelFormat);
        return tf.stack(scoreOutputs(model, y, outputs));
      });
      try {
        const values = await stacked.data();
        for (const [i, v] of values.entries()) sums[i]! += v * (end - start);
      } finally {
        stacked.dispose();
      }
      if (keepOutputs) {
        const width = outputs.size / (end - start);
        kept ??= new Float32Array(data.count * width);
        kept.set(await outputs.data(), start * width);
      }
    },
  );
  const metrics = Object.fromEntries(names.map((k, i) => [k, sums[i]! / data.count]));
  return keepOutputs ? { metrics, outputs: kept ?? new Float32Array(0) } : { metrics };
}

/** Mean loss and metrics over `data`, keyed like the training ones: what model.evaluate gives. */
export async function evaluate(model: tf.LayersModel, data: Samples, o: ScoreOptions) {
  return (await scoreSamples(model, data, o)).metrics;
}
