import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../../log.js';
import type { Callback } from './types.js';

export interface EarlyStoppingSpec {
  monitor: string;
  patience: number;
  minDelta: number;
  mode: 'auto' | 'min' | 'max';
  restoreBestWeights: boolean;
}

/**
 * Stops when `monitor` has not improved by `minDelta` for `patience` epochs. tfjs's own
 * EarlyStopping lacks restoreBestWeights, so the best weights are kept here (a copy per improvement).
 */
export function earlyStoppingCallback(spec: EarlyStoppingSpec, model: tf.LayersModel, log: Logger): Callback {
  const maximize = spec.mode === 'max' || (spec.mode === 'auto' && /acc/.test(spec.monitor));
  let best = maximize ? -Infinity : Infinity;
  let bestEpoch = 0;
  let wait = 0;
  let saved: tf.Tensor[] | undefined;
  const improved = (v: number) => (maximize ? v - spec.minDelta > best : v + spec.minDelta < best);
  return {
    onEpochEnd: (logs) => {
      const value = logs.metrics[spec.monitor];
      if (value === undefined) return false; // config checks guarantee it exists; be lenient anyway
      if (improved(value)) {
        best = value;
        bestEpoch = logs.epoch;
        wait = 0;
        if (spec.restoreBestWeights) {
          tf.dispose(saved);
          saved = model.getWeights().map((w) => w.clone());
        }
        return false;
      }
      wait += 1;
      if (wait <= spec.patience) return false;
      log.info({ monitor: spec.monitor, best, bestEpoch }, `early stopping after epoch ${logs.epoch}`);
      return true;
    },
    onTrainEnd: () => {
      if (!saved) return;
      model.setWeights(saved);
      tf.dispose(saved);
      log.info({ bestEpoch }, `restored the weights of epoch ${bestEpoch}`);
    },
  };
}
