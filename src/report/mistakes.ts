import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RUN_FILES } from '../output-files.js';
import type { RunRecord } from '../run/read.js';

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

export type Scored = Pick<Mistake, 'index' | 'actual' | 'predicted' | 'confidence'>;

/**
 * The `limit` wrong rows of test_probabilities.csv (`actual,predicted,p0,…`) with the highest
 * probability on a wrong class, most confident first. Pure text in, so no model is ever reloaded.
 */
export function confidentWrong(csv: string, limit: number): Scored[] {
  const found: Scored[] = [];
  const lines = csv.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const cells = line.split(',').map(Number);
    const actual = cells[0]!;
    const probs = cells.slice(2);
    let predicted = -1;
    for (let k = 0; k < probs.length; k++)
      if (k !== actual && (predicted < 0 || probs[k]! > probs[predicted]!)) predicted = k;
    if (cells[1] === actual || predicted < 0) continue; // answered right: not a mistake
    found.push({ index: i - 1, actual, predicted, confidence: probs[predicted]! });
  }
  return found.sort((a, b) => b.confidence - a.confidence || a.index - b.index).slice(0, limit);
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

/** The run's own test images, through the data loader the trainer used; no tfjs (the loader reads IDX files). */
export const loadRunTestImages: TestLoader = async (rec) => {
  const { loadDataset } = await import('../data/dataset.js');
  const testSize =
    typeof rec.config['data.testSize'] === 'number' ? (rec.config['data.testSize'] as number) : undefined;
  const d = await loadDataset({ path: dataPathOf(rec), trainSize: 1, testSize });
  return { images: d.test.images, labels: d.test.labels, rows: d.rows, cols: d.cols };
};

/** The run's most confidently wrong test digits, from its test_probabilities.csv and its test images. */
export async function confidentMistakes(
  rec: RunRecord,
  limit: number,
  loadTest: TestLoader = loadRunTestImages,
): Promise<Mistake[]> {
  const scored = confidentWrong(await readFile(join(rec.dir, RUN_FILES.probabilities), 'utf8'), limit);
  if (!scored.length) return [];
  const data = await loadTest(rec);
  const per = data.rows * data.cols;
  return scored.map((s) => ({
    ...s,
    pixels: data.images.slice(s.index * per, (s.index + 1) * per),
    rows: data.rows,
    cols: data.cols,
  }));
}
