import type { ValidationSpec } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import type { Samples } from './batches.js';

const slice = (s: Samples, per: number, from: number, to: number): Samples => ({
  images: s.images.subarray(from * per, to * per),
  labels: s.labels.subarray(from, to),
  count: to - from,
});

/**
 * The data to train on and to validate on. `{split: f}` holds out the last f of the training set
 * before any shuffling, as Keras's validation_split does; `test` validates on the test set, as the
 * notebook does.
 */
export function splitValidation(d: Dataset, spec: ValidationSpec): { train: Samples; validation?: Samples } {
  if (spec === 'none') return { train: d.train };
  if (spec === 'test') return { train: d.train, validation: d.test };
  const per = d.rows * d.cols;
  const held = Math.max(1, Math.round(d.train.count * spec.split));
  const cut = d.train.count - held;
  return { train: slice(d.train, per, 0, cut), validation: slice(d.train, per, cut, d.train.count) };
}
