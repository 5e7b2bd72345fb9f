/**
 * Where a training batch comes from. On the host (CPU backends, augmentation): its pixels are
 * gathered from the arrays and handed to the step. On a GPU: the training set is uploaded once, each
 * batch is gathered there by index, and one small read-back per batch brings [loss, ...metrics].
 */
import * as tf from '@tensorflow/tfjs';
import { deviceTraits } from '../accelerated/index.js';
import { formatBytes } from '../util/bytes.js';
import { gatherImages, gatherLabels, type LabelFormat, labelTensor, type Samples } from './batches.js';
import { makeTrainStep, type TrainStep } from './step.js';

export interface BatchFeed {
  /** In words, for the run log. */
  kind: string;
  /** Trains on the samples at order[start..end) of the training set; returns [loss, ...metrics]. */
  train: (order: Uint32Array, start: number, end: number, epoch: number, batch: number) => Promise<number[]>;
  dispose: () => void;
}

export interface FeedOptions {
  sampleShape: number[];
  numClasses: number;
  labelFormat: LabelFormat;
  metricNames: readonly string[];
  /** How a batch trains on the host; by default makeTrainStep's choice for the model. */
  step?: TrainStep;
  /** On-the-fly augmentation of host batches; a GPU-resident set is not augmented, so this keeps data on the host. */
  transformBatch?: (images: Float32Array, count: number, epoch: number, batch: number) => Float32Array;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function hostFeed(model: tf.LayersModel, data: Samples, o: FeedOptions, why?: string): BatchFeed {
  const chosen = o.step ? { step: o.step, kind: 'given step' } : makeTrainStep(model, o);
  const per = size(o.sampleShape);
  const because = why ? ` (${why})` : '';
  // A native step that gathers its batch itself reads the split's samples where they are, its
  // threads each copying the part they use (augmented batches are made here first, so not then).
  const stepAt = 'stepAt' in chosen && !o.transformBatch ? chosen.stepAt : undefined;
  if (stepAt) {
    const images = data.images.subarray(0, data.count * per);
    return {
      kind: `${chosen.kind}; batches gathered by the step from the training set on the host${because}`,
      train: async (order, start, end) =>
        stepAt(images, order.subarray(start, end), gatherLabels(data, order, start, end)),
      dispose: () => {},
    };
  }
  // One batch buffer for the run: a step is done with its batch when it returns (tfjs's tensors
  // made from it are disposed by then, and the native steps only read it during the call).
  let batchBuffer: Float32Array | undefined;
  return {
    kind: `${chosen.kind}; batches gathered on the host${because}`,
    train: async (order, start, end, epoch, batch) => {
      batchBuffer = gatherImages(data, order, start, end, per, batchBuffer);
      let images = batchBuffer;
      if (o.transformBatch) images = o.transformBatch(images, end - start, epoch, batch);
      return chosen.step(images, gatherLabels(data, order, start, end));
    },
    dispose: () => {},
  };
}

/** tfjs's own training step without trainOnBatch's read-back per output: protected API of tfjs-layers 4.22 (frozen). */
type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];
function trainFunction(model: tf.LayersModel): TrainFunction {
  // A Sequential trains through the functional model it wraps, as its trainOnBatch does.
  const inner = model instanceof tf.Sequential ? (model as unknown as { model: tf.LayersModel }).model : model;
  return (inner as unknown as { makeTrainFunction(): TrainFunction }).makeTrainFunction();
}

function deviceFeed(model: tf.LayersModel, data: Samples, o: FeedOptions): BatchFeed {
  const x = tf.tensor(data.images.subarray(0, data.count * size(o.sampleShape)), [data.count, ...o.sampleShape]);
  const y = labelTensor(data.labels.subarray(0, data.count), o.numClasses, o.labelFormat);
  const step = trainFunction(model);
  return {
    kind: `tfjs train function on the GPU; the training set uploaded once (${formatBytes(x.size * 4)}), batches gathered there, one read-back per batch`,
    train: async (order, start, end) => {
      const stacked = tf.tidy(() => {
        const index = tf.tensor1d(Int32Array.from(order.subarray(start, end)), 'int32');
        const outputs = step([tf.gather(x, index), tf.gather(y, index)]);
        const values = tf.stack(outputs);
        tf.dispose(outputs); // the metrics are kept (tf.keep) by tfjs: tidy alone would leak them
        return values;
      });
      try {
        return Array.from(await stacked.data());
      } finally {
        stacked.dispose();
      }
    },
    dispose: () => tf.dispose([x, y]),
  };
}

/** The feed for `model` on the active backend, uploading `data` when the device takes it in one buffer. */
export function makeBatchFeed(model: tf.LayersModel, data: Samples, o: FeedOptions): BatchFeed {
  const traits = deviceTraits();
  if (!traits) return hostFeed(model, data, o);
  if (o.step) return hostFeed(model, data, o, 'a step was given');
  if (o.transformBatch) return hostFeed(model, data, o, 'augmentation runs on the host');
  const bytes = data.count * size(o.sampleShape) * 4;
  if (bytes > traits.residentBytes) {
    return hostFeed(
      model,
      data,
      o,
      `the training set, ${formatBytes(bytes)}, is over the device's largest buffer, ${formatBytes(traits.residentBytes)}`,
    );
  }
  return deviceFeed(model, data, o);
}
