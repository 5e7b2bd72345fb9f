import type { EarlyStoppingSpec } from '../../config/schema.js';
import type { EpochLogs } from './types.js';

/** What every callback that watches a metric is told: early stopping, reduceOnPlateau, a best-model checkpoint. */
export type MonitorSpec = Pick<EarlyStoppingSpec, 'monitor' | 'mode' | 'minDelta'>;

/** Keras's rule for mode 'auto': a metric whose name holds "acc" should rise, any other (a loss, an error) fall. */
export function maximizes({ monitor, mode }: Pick<MonitorSpec, 'monitor' | 'mode'>): boolean {
  return mode === 'max' || (mode === 'auto' && /acc/.test(monitor));
}

/**
 * The best value of one metric so far, and whether a new one beats it by more than minDelta (as
 * Keras's EarlyStopping compares: `value - minDelta > best` when maximizing, `value + minDelta <
 * best` when minimizing). The first value always improves on "nothing yet"; NaN never does.
 */
export class Monitor {
  readonly metric: string;
  readonly maximize: boolean;
  readonly minDelta: number;
  #best: number;
  #bestEpoch = 0;

  constructor(spec: MonitorSpec) {
    this.metric = spec.monitor;
    this.maximize = maximizes(spec);
    this.minDelta = spec.minDelta;
    this.#best = this.maximize ? -Infinity : Infinity;
  }

  /** ±Infinity until the first value. */
  get best(): number {
    return this.#best;
  }

  /** The epoch that gave `best`; 0 until the first value. */
  get bestEpoch(): number {
    return this.#bestEpoch;
  }

  /** The watched metric in an epoch's logs; undefined when the epoch did not compute it. */
  read(logs: EpochLogs): number | undefined {
    return logs.metrics[this.metric];
  }

  improves(value: number): boolean {
    return this.maximize ? value - this.minDelta > this.#best : value + this.minDelta < this.#best;
  }

  /** Where it stands, for a checkpoint; ±Infinity (nothing yet) is written as null. */
  save(): { best: number | null; bestEpoch: number } {
    return { best: Number.isFinite(this.#best) ? this.#best : null, bestEpoch: this.#bestEpoch };
  }

  load(s: { best?: unknown; bestEpoch?: unknown }): void {
    if (typeof s.best === 'number') this.#best = s.best;
    if (typeof s.bestEpoch === 'number') this.#bestEpoch = s.bestEpoch;
  }

  /** Records `value` as the best when it improves; says whether it did. */
  update(value: number, epoch: number): boolean {
    if (!this.improves(value)) return false;
    this.#best = value;
    this.#bestEpoch = epoch;
    return true;
  }
}
