import type * as tf from '@tensorflow/tfjs';

/** What the loop reports; callbacks only listen (and may ask to stop), the loop only calls hooks. */
export interface BatchLogs {
  batch: number;
  batches: number;
  seen: number; // samples seen this epoch
  loss: number; // running mean over the epoch so far
  metrics: Record<string, number>; // running means
}

export interface EpochLogs {
  epoch: number; // 1-based
  metrics: Record<string, number>; // loss, accuracy, val_loss, val_accuracy...
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainBegin {
  epochs: number;
  batches: number;
  samples: number;
  batchSize: number;
  /** Set when the run resumes from a checkpoint: the epochs trained before it stopped (none before the first). */
  resumed?: EpochLogs[];
}

/**
 * What a callback carries from one epoch to the next (a best value, a patience count, a copy of the
 * best weights), for a checkpoint: plain JSON, plus tensors the checkpoint stores as data.
 */
export interface CallbackState {
  values: Record<string, unknown>;
  tensors?: tf.Tensor[];
}

export interface Callback {
  /** Callbacks with state have a name: the key of their state in a checkpoint. */
  name?: string;
  /** Its state after an epoch; a resumed run hands it back to `load` before training on. */
  save?(): CallbackState;
  load?(state: CallbackState): void;
  onTrainBegin?(info: TrainBegin): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs): void | Promise<void>;
  /** Return true to stop training after this epoch (early stopping). */
  // biome-ignore lint/suspicious/noConfusingVoidType: most callbacks return nothing; only a stop is a value
  onEpochEnd?(logs: EpochLogs): void | boolean | Promise<void | boolean>;
  onTrainEnd?(epochs: EpochLogs[]): void | Promise<void>;
}
