import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { earlyStoppingCallback } from './early-stopping.js';
import { logEpochsCallback } from './log-epochs.js';
import { lrScheduleCallback } from './lr-schedule.js';
import { type MetricsFiles, metricsFilesCallback } from './metrics-files.js';
import { progressCallback } from './progress.js';
import type { Callback } from './types.js';

/** The callbacks a run trains with, in the order they hear each event. */
export function trainingCallbacks(
  cfg: Config,
  model: tf.LayersModel,
  files: MetricsFiles,
  log: Logger,
  terminal: NodeJS.WriteStream,
): Callback[] {
  const callbacks = [progressCallback(terminal), metricsFilesCallback(files), logEpochsCallback(log)];
  // The schedule runs first at each epoch's end, so `lr` is in the metrics the files and logs see.
  if (cfg.train.lrSchedule) callbacks.unshift(lrScheduleCallback(cfg.train.lrSchedule, model.optimizer, log));
  if (cfg.train.earlyStopping) callbacks.push(earlyStoppingCallback(cfg.train.earlyStopping, model, log));
  return callbacks;
}
