/**
 * One training step on a batch, as the loop and the benchmark run it: the active backend's own
 * step where it has one for the model (src/accelerated/train-step.ts; onednn's runs a
 * stack of dense layers in one native call), tfjs's model.trainOnBatch everywhere else. Both
 * return [loss, ...metrics] in compile order.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedTrainStep } from '../accelerated/index.js';
import { oneHot } from '../data/dataset.js';
import { type LabelFormat, labelTensor } from './batches.js';

/** Trains on `labels.length` samples whose pixels are `images`; returns [loss, ...metrics]. */
export type TrainStep = (images: Float32Array, labels: Uint8Array) => Promise<number[]>;
/** The same on the samples of `images` (every sample of a split) at `at`, which the step gathers itself. */
export type TrainStepAt = (images: Float32Array, at: Uint32Array, labels: Uint8Array) => Promise<number[]>;

export interface StepOptions {
  sampleShape: number[];
  numClasses: number;
  labelFormat: LabelFormat;
  metricNames: readonly string[];
}

/**
 * The step for `model`, and in words which one it is (for the run log); `stepAt` too where the
 * backend's own step gathers its batch from the whole split.
 */
export function makeTrainStep(
  model: tf.LayersModel,
  o: StepOptions,
): { step: TrainStep; kind: string; stepAt?: TrainStepAt } {
  const native = fusedTrainStep(model, o);
  if (native.ok) {
    const targets = (labels: Uint8Array) => oneHot(labels, o.numClasses);
    return {
      kind: native.name,
      step: async (images, labels) => native.step(images, targets(labels), labels.length),
      ...(native.gathers && {
        stepAt: async (images, at, labels) => native.step(images, targets(labels), labels.length, at),
      }),
    };
  }
  return {
    kind: `tfjs trainOnBatch (native step not taken: ${native.reason})`,
    step: async (images, labels) => {
      const x = tf.tensor(images, [labels.length, ...o.sampleShape]);
      const y = labelTensor(labels, o.numClasses, o.labelFormat);
      try {
        const out = await model.trainOnBatch(x, y); // tidy cannot wrap an await: dispose by hand
        return Array.isArray(out) ? out : [out];
      } finally {
        tf.dispose([x, y]);
      }
    },
  };
}
