import type { Config } from '../config/schema.js';

/** What one short calibration measured for an architecture on the backend the runs would use. */
export interface Speed {
  trainSamplesPerSecond: number;
  inferSamplesPerSecond: number;
}

/**
 * Seconds one run should take: every epoch trains on the training samples and evaluates the
 * validation ones, then the test set is scored once (its metrics and predictions from one pass). Early stopping can only
 * shorten it, so this is an upper bound for such runs.
 */
export function runSeconds(cfg: Pick<Config, 'train'>, sizes: { train: number; test: number }, speed: Speed): number {
  const v = cfg.train.validation;
  const split = typeof v === 'object' ? v.split : 0;
  const validation = v === 'test' ? sizes.test : Math.round(sizes.train * split);
  const trained = sizes.train - (v === 'test' ? 0 : validation);
  const perEpoch = trained / speed.trainSamplesPerSecond + validation / speed.inferSamplesPerSecond;
  return cfg.train.epochs * perEpoch + sizes.test / speed.inferSamplesPerSecond;
}

/**
 * What a run costs besides its training and evaluation, each in its own process: starting Node, the
 * imports and tfjs's backend, and reading and checksumming the data (1.45 s to the "run started" line,
 * 3 tiny runs, 2-core EPYC, load 0.2-1.4); then the test predictions, metrics files and run folder
 * written (1.6 s from the last epoch to "completed", of which the estimate's evaluation term is ~0.7 s).
 * Measured with `configs/ann.yaml --set data.trainSize=300 --set train.epochs=1`.
 */
export const PROCESS_START_SECONDS = 1.5;
export const RUN_FIXED_SECONDS = 0.9;
export const RUN_OVERHEAD_SECONDS = PROCESS_START_SECONDS + RUN_FIXED_SECONDS;

/** Wall time of running jobs `parallel` at a time, longest first onto the least-loaded slot (as a queue roughly does). */
export function makespan(seconds: number[], parallel: number): number {
  const slots = new Array<number>(Math.max(1, parallel)).fill(0);
  for (const s of [...seconds].sort((a, b) => b - a)) {
    const i = slots.indexOf(Math.min(...slots));
    slots[i]! += s;
  }
  return Math.max(...slots);
}

/** `1h 02m`, `4m 05s`, `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * What decides a run's speed: the layers' shapes and the batch size. Activations, losses and
 * optimizers change a step's cost little next to those, and timing each apart on a busy machine
 * would mostly measure noise, so runs that differ only there share one calibration.
 */
export function architectureKey(cfg: Pick<Config, 'model' | 'train'>): string {
  const shapes = cfg.model.layers.map((layer) => {
    const { activation: _a, rate: _r, ...rest } = layer as Record<string, unknown>;
    return rest;
  });
  return JSON.stringify([shapes, cfg.train.batchSize]);
}
