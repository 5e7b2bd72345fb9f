import type * as tf from '@tensorflow/tfjs';
import type { LrScheduleSpec } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { Monitor } from './monitor.js';
import type { Callback } from './types.js';

interface Tunable {
  learningRate: number;
  setLearningRate?: (lr: number) => void;
}

/** Sets the learning rate where each tfjs optimizer reads it (SGD caches it as a tensor, hence its setter). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as Tunable;
  if (o.setLearningRate) o.setLearningRate(lr);
  else o.learningRate = lr;
}

export const learningRateOf = (optimizer: tf.Optimizer) => (optimizer as unknown as Tunable).learningRate;

/**
 * Learning-rate schedules, applied between epochs: `step` multiplies by gamma every stepSize epochs,
 * `exponential` by gamma every epoch, `reduceOnPlateau` by factor after `patience` epochs without
 * improvement of `monitor`. The rate in force is added to each epoch's metrics as `lr`.
 */
export function lrScheduleCallback(spec: LrScheduleSpec, optimizer: tf.Optimizer, log: Logger): Callback {
  const base = learningRateOf(optimizer);
  let lr = base;
  const monitor = spec.type === 'reduceOnPlateau' ? new Monitor(spec) : undefined;
  let wait = 0;
  return {
    name: 'lrSchedule',
    save: () => ({ values: { lr, wait, ...(monitor && { monitor: monitor.save() }) } }),
    load: (s) => {
      lr = Number(s.values.lr ?? lr);
      wait = Number(s.values.wait ?? 0);
      monitor?.load((s.values.monitor ?? {}) as Record<string, unknown>);
    },
    onEpochBegin: (epoch) => {
      if (spec.type === 'step') lr = base * spec.gamma ** Math.floor((epoch - 1) / spec.stepSize);
      if (spec.type === 'exponential') lr = base * spec.gamma ** (epoch - 1);
      setLearningRate(optimizer, lr);
    },
    onEpochEnd: (logs) => {
      logs.metrics.lr = lr;
      if (spec.type !== 'reduceOnPlateau' || !monitor) return;
      const value = monitor.read(logs);
      if (value === undefined) return;
      if (monitor.update(value, logs.epoch)) {
        wait = 0;
      } else if (++wait > spec.patience) {
        const next = Math.max(spec.minLearningRate, lr * spec.factor);
        if (next < lr) log.info({ from: lr, to: next, monitor: spec.monitor }, 'reducing the learning rate');
        lr = next;
        wait = 0;
      }
    },
  };
}
