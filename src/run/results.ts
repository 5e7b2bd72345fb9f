import type * as tf from '@tensorflow/tfjs';
import { makeInference } from '../model/inference.js';
import type { Samples } from '../train/batches.js';

/** Class probabilities per sample (count × classes, row-major) and the predicted class (argmax) of each. */
export interface Predicted {
  probabilities: Float32Array;
  classes: Uint8Array;
  numClasses: number;
}

/** Scores samples in batches, so the whole set's activations are never held at once. */
export async function predictSamples(
  model: tf.LayersModel,
  data: Samples,
  sampleShape: number[],
  batchSize = 500,
): Promise<Predicted> {
  const numClasses = (model.outputs[0]!.shape.at(-1) as number | null) ?? 1;
  const probabilities = new Float32Array(data.count * numClasses);
  await makeInference(model, sampleShape).inBatches(data.images, data.count, batchSize, async (p, start) => {
    probabilities.set(await p.data(), start * numClasses); // reads back from the device
  });
  return predictedFrom(probabilities, numClasses);
}

/** The predicted class (argmax) of each sample's probabilities. */
export const predictedFrom = (probabilities: Float32Array, numClasses: number): Predicted => ({
  probabilities,
  classes: argmaxRows(probabilities, numClasses),
  numClasses,
});

/** Predicted class per sample. */
export async function predictClasses(
  model: tf.LayersModel,
  data: Samples,
  sampleShape: number[],
  batchSize = 500,
): Promise<Uint8Array> {
  return (await predictSamples(model, data, sampleShape, batchSize)).classes;
}

export function argmaxRows(p: Float32Array, numClasses: number): Uint8Array {
  const out = new Uint8Array(p.length / numClasses);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (p[i * numClasses + c]! > p[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Every test image's class probabilities, `actual,predicted,0,1,…`, to 4 decimals: what the report
 * needs (confident mistakes, calibration) without reloading a model.
 */
export function probabilitiesCsv(actual: ArrayLike<number>, p: Predicted): string {
  const k = p.numClasses;
  const rows = [['actual', 'predicted', ...Array.from({ length: k }, (_, c) => String(c))].join(',')];
  for (let i = 0; i < p.classes.length; i++) {
    const cells = [String(actual[i]), String(p.classes[i])];
    for (let c = 0; c < k; c++) cells.push(fixed4(p.probabilities[i * k + c]!));
    rows.push(cells.join(','));
  }
  return `${rows.join('\n')}\n`;
}

/** 0.98765432 → "0.9877", 0.00001 → "0", 1 → "1": short, and parseFloat reads it back. */
function fixed4(v: number): string {
  return String(Number(v.toFixed(4)));
}

/** The notebook's output_cnn.csv: `Actual,Predictions`, one row per test image. */
export function predictionsCsv(actual: ArrayLike<number>, predicted: ArrayLike<number>): string {
  const rows = ['Actual,Predictions'];
  for (let i = 0; i < actual.length; i++) rows.push(`${actual[i]},${predicted[i]}`);
  return `${rows.join('\n')}\n`;
}

/** counts[actual][predicted]. */
export function confusionMatrix(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) m[actual[i]!]![predicted[i]!]! += 1;
  return m;
}

/** Rows are actual classes, columns predicted: header `actual,0,1,…`. */
export function confusionCsv(m: number[][]): string {
  const header = ['actual', ...m.map((_, i) => String(i))].join(',');
  return `${[header, ...m.map((row, i) => [i, ...row].join(','))].join('\n')}\n`;
}

export function accuracyOf(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] === predicted[i]) right++;
  return actual.length ? right / actual.length : 0;
}
