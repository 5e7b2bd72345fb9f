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
}

export interface Callback {
  onTrainBegin?(info: TrainBegin): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs): void | Promise<void>;
  /** Return true to stop training after this epoch (early stopping). */
  // biome-ignore lint/suspicious/noConfusingVoidType: most callbacks return nothing; only a stop is a value
  onEpochEnd?(logs: EpochLogs): void | boolean | Promise<void | boolean>;
  onTrainEnd?(epochs: EpochLogs[]): void | Promise<void>;
}
