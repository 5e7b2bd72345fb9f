import * as tf from '@tensorflow/tfjs';
import type { EarlyStoppingSpec } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { Monitor } from './monitor.js';
import type { Callback } from './types.js';

/**
 * Stops when `monitor` has not improved by `minDelta` for `patience` epochs. tfjs's own
 * EarlyStopping lacks restoreBestWeights, so the best weights are kept here (a copy per improvement).
 */
export function earlyStoppingCallback(spec: EarlyStoppingSpec, model: tf.LayersModel, log: Logger): Callback {
  const monitor = new Monitor(spec);
  let wait = 0;
  let saved: tf.Tensor[] | undefined;
  return {
    name: 'earlyStopping',
    save: () => ({ values: { monitor: monitor.save(), wait }, tensors: saved }),
    load: (s) => {
      monitor.load((s.values.monitor ?? {}) as Record<string, unknown>);
      wait = Number(s.values.wait ?? 0);
      tf.dispose(saved);
      saved = s.tensors?.length ? s.tensors : undefined;
    },
    onEpochEnd: (logs) => {
      const value = monitor.read(logs);
      if (value === undefined) return false; // config checks guarantee it exists; be lenient anyway
      if (monitor.update(value, logs.epoch)) {
        wait = 0;
        if (spec.restoreBestWeights) {
          tf.dispose(saved);
          saved = model.getWeights().map((w) => w.clone());
        }
        return false;
      }
      wait += 1;
      if (wait <= spec.patience) return false;
      const { best, bestEpoch } = monitor;
      log.info({ monitor: spec.monitor, best, bestEpoch }, `early stopping after epoch ${logs.epoch}`);
      return true;
    },
    onTrainEnd: () => {
      if (!saved) return;
      model.setWeights(saved);
      tf.dispose(saved);
      log.info({ bestEpoch: monitor.bestEpoch }, `restored the weights of epoch ${monitor.bestEpoch}`);
    },
  };
}
