/** Scoring samples with a run's model: class probabilities per sample, and their text and JSON forms. */
import { predictSamples } from '../run/results.js';
import type { Sample } from './inputs.js';
import type { RunModel } from './run-model.js';

export interface Prediction {
  file: string;
  index?: number;
  predicted: number;
  probability: number;
  /** Every class's probability, class 0 first. */
  probabilities: number[];
}

export async function predict(m: RunModel, samples: Sample[]): Promise<Prediction[]> {
  const per = m.rows * m.cols;
  const images = new Float32Array(samples.length * per);
  for (const [i, s] of samples.entries()) images.set(s.pixels, i * per);
  const labels = new Uint8Array(samples.length);
  const p = await predictSamples(m.model, { images, labels, count: samples.length }, m.sampleShape);
  const k = p.numClasses;
  return samples.map((s, i) => {
    const probabilities = asProbabilities(Array.from(p.probabilities.subarray(i * k, (i + 1) * k)));
    const predicted = p.classes[i]!;
    const at = s.index === undefined ? {} : { index: s.index };
    return { file: s.file, ...at, predicted, probability: probabilities[predicted]!, probabilities };
  });
}

/** A row that is not already a distribution (a model ending in logits) goes through softmax. */
export function asProbabilities(row: number[]): number[] {
  const sum = row.reduce((a, b) => a + b, 0);
  if (row.every((v) => v >= 0) && Math.abs(sum - 1) < 1e-3) return row;
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** `digit.png: 7 (0.982)  top 3: 7 0.982, 2 0.011, 3 0.004`; an IDX image is `file[12]`. */
export function formatPrediction(p: Prediction): string {
  const name = p.index === undefined ? p.file : `${p.file}[${p.index}]`;
  const top = p.probabilities
    .map((v, c) => [c, v] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c, v]) => `${c} ${v.toFixed(3)}`)
    .join(', ');
  return `${name}: ${p.predicted} (${p.probability.toFixed(3)})  top 3: ${top}`;
}
