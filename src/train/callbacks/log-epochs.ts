import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../../log.js';
import type { Callback } from './types.js';

const round = (v: number) => Number(v.toPrecision(5));

/** One log line per epoch, with the live tensor count so a leak shows up in run.log. */
export function logEpochsCallback(log: Logger): Callback {
  let epochs = 0;
  return {
    onTrainBegin: (info) => {
      epochs = info.epochs;
      log.info({ samples: info.samples, batchSize: info.batchSize, batches: info.batches }, 'training');
    },
    onEpochEnd: (l) => {
      const metrics = Object.fromEntries(Object.entries(l.metrics).map(([k, v]) => [k, round(v)]));
      const perf = { seconds: round(l.seconds), samplesPerSecond: Math.round(l.samplesPerSecond) };
      log.info({ ...metrics, ...perf, tensors: tf.memory().numTensors }, `epoch ${l.epoch}/${epochs}`);
    },
  };
}
