import * as tf from '@tensorflow/tfjs';
import { deviceTraits } from '../accelerated/index.js';
import { BackendError, InterruptedError } from '../errors.js';
import { deriveSeed, makeRng, shuffledIndices } from '../util/random.js';
import { type LabelFormat, labelTensor, type Samples } from './batches.js';
import type { Callback, EpochLogs } from './callbacks/types.js';
import { type BatchFeed, makeBatchFeed } from './feed.js';
import type { TrainStep } from './step.js';

export interface TrainOptions {
  model: tf.LayersModel;
  train: Samples;
  /** Validation data, evaluated after each epoch; none when undefined. */
  validation?: Samples;
  sampleShape: number[];
  numClasses: number;
  labelFormat: LabelFormat;
  metricNames: string[]; // the config's metrics, in compile order
  epochs: number;
  batchSize: number;
  seed: number;
  callbacks: Callback[];
  /** Polled between batches; true stops the run with an InterruptedError (Ctrl-C). */
  interrupted?: () => boolean;
  /** How a batch trains; by default makeTrainStep's choice for the model, fed as src/train/feed.ts decides. */
  step?: TrainStep;
  /** Told in words how batches are fed and trained, once before the first (for the run log). */
  onFeed?: (kind: string) => void;
  /** Hook for on-the-fly augmentation of a training batch (never applied to validation data). */
  transformBatch?: (images: Float32Array, count: number, epoch: number, batch: number) => Float32Array;
}

/**
 * Evaluates in batches; returns mean loss and metrics keyed like the training ones. The set goes to
 * the backend a slice at a time, so on a GPU it never has to fit one buffer.
 */
export async function evaluate(
  model: tf.LayersModel,
  data: Samples,
  o: Pick<TrainOptions, 'sampleShape' | 'numClasses' | 'labelFormat' | 'metricNames' | 'batchSize'>,
) {
  const batchSize = inferenceBatchSize(model, o.batchSize);
  const slice = batchSize * 16;
  const per = o.sampleShape.reduce((a, b) => a * b, 1);
  const names = ['loss', ...o.metricNames];
  const sums = new Array<number>(names.length).fill(0);
  for (let start = 0; start < data.count; start += slice) {
    const end = Math.min(data.count, start + slice);
    const x = tf.tensor(data.images.subarray(start * per, end * per), [end - start, ...o.sampleShape]);
    const y = labelTensor(data.labels.subarray(start, end), o.numClasses, o.labelFormat);
    const out = model.evaluate(x, y, { batchSize });
    const scalars = Array.isArray(out) ? out : [out];
    const stacked = tf.stack(scalars);
    const values = await stacked.data(); // one read-back per slice
    tf.dispose([x, y, stacked, ...scalars]);
    for (const [i, v] of values.entries()) sums[i]! += v * (end - start); // tfjs's own batches are weighted so too
  }
  return Object.fromEntries(names.map((k, i) => [k, sums[i]! / data.count]));
}

async function runEpoch(o: TrainOptions, feed: BatchFeed, epoch: number): Promise<Record<string, number>> {
  const n = o.train.count;
  const rng = makeRng(deriveSeed(o.seed, `shuffle/${epoch}`));
  const order = shuffledIndices(n, rng); // model.fit's own shuffle is unseeded
  const batches = Math.ceil(n / o.batchSize);
  const names = ['loss', ...o.metricNames];
  const sums = new Array<number>(names.length).fill(0);
  const lost = deviceTraits()?.lost ?? (() => undefined);
  for (let b = 0; b < batches; b++) {
    // A step is synchronous work: without a turn of the event loop between batches, a signal's
    // handler would only run at the end of the epoch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (o.interrupted?.()) throw new InterruptedError('training interrupted');
    const gone = lost();
    if (gone) throw gone;
    const start = b * o.batchSize;
    const end = Math.min(n, start + o.batchSize);
    const values = await feed.train(order, start, end, epoch, b);
    for (const [i, v] of values.entries()) sums[i]! += v * (end - start);
    const running = Object.fromEntries(names.map((k, i) => [k, sums[i]! / end]));
    for (const cb of o.callbacks) {
      await cb.onBatchEnd?.({ batch: b + 1, batches, seen: end, loss: running.loss!, metrics: running });
    }
  }
  return Object.fromEntries(names.map((k, i) => [k, sums[i]! / n]));
}

/**
 * The training loop: seeded shuffle per epoch, one training step per batch, validation after each
 * epoch, hooks for everything else. Returns the per-epoch logs.
 */
export async function trainModel(o: TrainOptions): Promise<EpochLogs[]> {
  checkFitsDevice(o.model, o.batchSize);
  const feed = makeBatchFeed(o.model, o.train, o);
  o.onFeed?.(feed.kind);
  try {
    return await trainEpochs(o, feed);
  } finally {
    feed.dispose();
  }
}

/**
 * The batch size evaluation and prediction use: at least 256 (fewer, larger kernel calls), but never
 * more than the training batch where the device could not hold the larger one's tensors.
 */
export function inferenceBatchSize(model: tf.LayersModel, trainBatchSize: number): number {
  const larger = Math.max(trainBatchSize, 256);
  return deviceTraits()?.checkFits(model, larger) ? trainBatchSize : larger;
}

/** A model the device cannot hold fails here, before any step, with the layer and the fix. */
export function checkFitsDevice(model: tf.LayersModel, batchSize: number): void {
  const why = deviceTraits()?.checkFits(model, batchSize);
  if (why) throw new BackendError(`the ${tf.getBackend()} backend cannot train this model: ${why}`);
}

async function trainEpochs(o: TrainOptions, feed: BatchFeed): Promise<EpochLogs[]> {
  const batches = Math.ceil(o.train.count / o.batchSize);
  const history: EpochLogs[] = [];
  for (const cb of o.callbacks)
    await cb.onTrainBegin?.({ epochs: o.epochs, batches, samples: o.train.count, batchSize: o.batchSize });
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (const cb of o.callbacks) await cb.onEpochBegin?.(epoch);
    const t0 = performance.now();
    const metrics = await runEpoch(o, feed, epoch);
    const seconds = (performance.now() - t0) / 1000;
    if (o.validation) {
      const val = await evaluate(o.model, o.validation, o);
      for (const [k, v] of Object.entries(val)) metrics[`val_${k}`] = v;
    }
    const logs: EpochLogs = { epoch, metrics, seconds, samplesPerSecond: o.train.count / seconds };
    history.push(logs);
    let stop = false;
    for (const cb of o.callbacks) stop = (await cb.onEpochEnd?.(logs)) === true || stop;
    if (stop) break;
  }
  for (const cb of o.callbacks) await cb.onTrainEnd?.(history);
  return history;
}
