import * as tf from '@tensorflow/tfjs';
import type { Samples } from '../train/batches.js';

/** Predicted class per sample, in batches so the whole test set's activations are never held at once. */
export async function predictClasses(
  model: tf.LayersModel,
  data: Samples,
  sampleShape: number[],
  batchSize = 500,
): Promise<Uint8Array> {
  const out = new Uint8Array(data.count);
  const per = sampleShape.reduce((a, b) => a * b, 1);
  for (let start = 0; start < data.count; start += batchSize) {
    const end = Math.min(data.count, start + batchSize);
    const classes = tf.tidy(() => {
      const x = tf.tensor(data.images.subarray(start * per, end * per), [end - start, ...sampleShape]);
      return (model.predict(x, { batchSize }) as tf.Tensor).argMax(-1); // tfjs would split it into batches of 32
    });
    out.set(await classes.data(), start); // reads back from the device
    classes.dispose();
  }
  return out;
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
