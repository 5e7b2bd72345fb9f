import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RUN_FILES } from '../output-files.js';
import type { RunRecord } from '../run/read.js';
import { parseCsv } from '../util/csv.js';

/** A test image the model got wrong, with how sure it was of the wrong answer. */
export interface Mistake {
  index: number;
  actual: number;
  predicted: number;
  confidence: number;
  pixels: Float32Array;
  rows: number;
  cols: number;
}

/** Indices predictions.csv marks wrong: the model then only has to score those images, not the whole test set. */
export function wrongIndices(predictionsCsv: string): number[] {
  return parseCsv(predictionsCsv.trim())
    .slice(1)
    .flatMap((r, i) => (r[0] !== r[1] ? [i] : []));
}

/** The data folder the run used: data.path of its resolved config, relative to the config it came from. */
function dataPathOf(rec: RunRecord): string | undefined {
  const p = rec.config['data.path'];
  if (typeof p !== 'string') return undefined;
  return resolve(rec.meta?.configFile ? dirname(rec.meta.configFile) : rec.dir, p);
}

/** The test split a run was evaluated on. */
export interface TestImages {
  images: Float32Array;
  labels: Uint8Array;
  rows: number;
  cols: number;
}
export type TestLoader = (rec: RunRecord) => Promise<TestImages>;

/** The run's own test images, through the data loader the trainer used (data.path and data.testSize of its config). */
export const loadRunTestImages: TestLoader = async (rec) => {
  const { loadDataset } = await import('../data/dataset.js');
  const testSize =
    typeof rec.config['data.testSize'] === 'number' ? (rec.config['data.testSize'] as number) : undefined;
  const d = await loadDataset({ path: dataPathOf(rec), trainSize: 1, testSize });
  return { images: d.test.images, labels: d.test.labels, rows: d.rows, cols: d.cols };
};

/**
 * The `limit` most confidently wrong test digits of one run: reloads its saved model and its test
 * images and scores the misclassified ones. Loads tfjs (the report does; compare never does).
 */
export async function confidentMistakes(
  rec: RunRecord,
  limit: number,
  loadTest: TestLoader = loadRunTestImages,
): Promise<Mistake[]> {
  const tf = await import('@tensorflow/tfjs');
  const { loadModelDir } = await import('../model/io.js');
  const wrong = wrongIndices(await readFile(join(rec.dir, RUN_FILES.predictions), 'utf8'));
  if (!wrong.length) return [];
  const data = await loadTest(rec);
  const model = await loadModelDir(join(rec.dir, RUN_FILES.modelDir));
  const per = data.rows * data.cols;
  const images = new Float32Array(wrong.length * per);
  for (const [k, idx] of wrong.entries()) images.set(data.images.subarray(idx * per, (idx + 1) * per), k * per);
  try {
    const probs = tf.tidy(() => {
      const out = model.predict(
        tf.tensor(images, [wrong.length, data.rows, data.cols]),
      ) as import('@tensorflow/tfjs').Tensor2D;
      const isProb = out.min().dataSync()[0]! >= 0 && Math.abs(out.sum(-1).mean().dataSync()[0]! - 1) < 1e-3;
      return isProb ? out : tf.softmax(out); // a model ending in logits still gets probabilities
    });
    const p = await probs.data();
    probs.dispose();
    const classes = p.length / wrong.length;
    const found = wrong.map((idx, k) => {
      const row = Array.from(p.subarray(k * classes, (k + 1) * classes));
      const predicted = row.indexOf(Math.max(...row));
      return {
        index: idx,
        actual: data.labels[idx]!,
        predicted,
        confidence: row[predicted]!,
        pixels: images.slice(k * per, (k + 1) * per),
        rows: data.rows,
        cols: data.cols,
      };
    });
    return found.sort((a, b) => b.confidence - a.confidence).slice(0, limit);
  } finally {
    model.dispose();
  }
}
