import * as tf from '@tensorflow/tfjs';
import { deviceTraits } from '../accelerated/index.js';
import { BackendError, DivergedError, InterruptedError } from '../errors.js';
import { deriveSeed, makeRng, shuffledIndices } from '../util/random.js';
import type { LabelFormat, Samples } from './batches.js';
import type { Callback, CallbackState, EpochLogs } from './callbacks/types.js';
import { evaluate } from './evaluate.js';
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
  /** Where a stopped run stood at its last checkpoint: training goes on from the epoch after. */
  resume?: TrainState;
  /** Called after each epoch, once its callbacks have run, with what a resumed run needs. */
  checkpoint?: (state: TrainState) => Promise<void>;
}

/**
 * The loop's own part of a checkpoint: the epochs done, whether a callback asked to stop, and each
 * named callback's state. The weights, the optimizer and the random streams are the caller's.
 */
export interface TrainState {
  epoch: number;
  stopped: boolean;
  history: EpochLogs[];
  callbacks: Record<string, CallbackState>;
}

/** A loss or weight that is NaN or infinite: every later step would only spread it. */
function diverged(what: string, epoch: number, batch?: { at: number; of: number }): DivergedError {
  const where = batch ? `epoch ${epoch}, batch ${batch.at} of ${batch.of}` : `the end of epoch ${epoch}`;
  return new DivergedError(`training diverged at ${where}: ${what}`);
}

/**
 * The first weight holding a NaN or an infinity, by name. One read-back in all (a GPU pays per
 * read-back): w·0 is 0 for every finite value and NaN otherwise, so the sum never overflows. Each
 * weight is read only when that sum says one of them is bad.
 */
async function nonFiniteWeight(model: tf.LayersModel): Promise<string | undefined> {
  if (!model.weights.length) return undefined;
  // Pairwise adds, not addN: a GPU kernel binds every input, and a shader stage holds only 8 buffers.
  const probe = tf.tidy(() => model.weights.map((w) => tf.sum(tf.mul(w.read(), 0))).reduce((a, b) => tf.add(a, b)));
  const [sum] = await probe.data();
  probe.dispose();
  if (Number.isFinite(sum)) return undefined;
  for (const w of model.weights) {
    const values = await w.read().data();
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return w.name;
  }
  return undefined;
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
    if (!Number.isFinite(values[0]!))
      throw diverged(`the batch's loss is ${values[0]}`, epoch, { at: b + 1, of: batches });
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

/** A model the device cannot hold fails here, before any step, with the layer and the fix. */
export function checkFitsDevice(model: tf.LayersModel, batchSize: number): void {
  const why = deviceTraits()?.checkFits(model, batchSize);
  if (why) throw new BackendError(`the ${tf.getBackend()} backend cannot train this model: ${why}`);
}

/** Hands each named callback its state from the checkpoint. */
function restoreCallbacks(callbacks: Callback[], state: TrainState) {
  for (const cb of callbacks) {
    const saved = cb.name ? state.callbacks[cb.name] : undefined;
    if (saved) cb.load?.(saved);
  }
}

function callbackStates(callbacks: Callback[]): Record<string, CallbackState> {
  return Object.fromEntries(callbacks.flatMap((cb) => (cb.name && cb.save ? [[cb.name, cb.save()]] : [])));
}

/** One epoch's training, its checks and validation: its logs, as the callbacks hear them. */
async function epochLogs(o: TrainOptions, feed: BatchFeed, epoch: number): Promise<EpochLogs> {
  const t0 = performance.now();
  const metrics = await runEpoch(o, feed, epoch);
  const seconds = (performance.now() - t0) / 1000;
  // With validation its loss tells (a bad weight makes it NaN); without, the weights are looked at.
  const bad = o.validation ? undefined : await nonFiniteWeight(o.model);
  if (bad) throw diverged(`weight ${bad} holds NaN or infinite values`, epoch);
  if (o.validation) {
    const val = await evaluate(o.model, o.validation, o);
    for (const [k, v] of Object.entries(val)) metrics[`val_${k}`] = v;
    if (!Number.isFinite(val.loss!)) throw diverged(`the validation loss is ${val.loss}`, epoch);
  }
  return { epoch, metrics, seconds, samplesPerSecond: o.train.count / seconds };
}

async function trainEpochs(o: TrainOptions, feed: BatchFeed): Promise<EpochLogs[]> {
  const batches = Math.ceil(o.train.count / o.batchSize);
  const history: EpochLogs[] = [...(o.resume?.history ?? [])];
  if (o.resume) restoreCallbacks(o.callbacks, o.resume);
  const begin = { epochs: o.epochs, batches, samples: o.train.count, batchSize: o.batchSize };
  for (const cb of o.callbacks) await cb.onTrainBegin?.({ ...begin, ...(o.resume && { resumed: history }) });
  let stop = o.resume?.stopped ?? false;
  for (let epoch = (o.resume?.epoch ?? 0) + 1; epoch <= o.epochs && !stop; epoch++) {
    for (const cb of o.callbacks) await cb.onEpochBegin?.(epoch);
    const logs = await epochLogs(o, feed, epoch);
    history.push(logs);
    for (const cb of o.callbacks) stop = (await cb.onEpochEnd?.(logs)) === true || stop;
    await o.checkpoint?.({ epoch, stopped: stop, history, callbacks: callbackStates(o.callbacks) });
  }
  for (const cb of o.callbacks) await cb.onTrainEnd?.(history);
  return history;
}
