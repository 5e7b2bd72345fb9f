import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnistDataDir } from '../../src/data/dataset.js';
import { readIdx, writeIdx } from '../../src/data/idx.js';
import { encodePng } from '../../src/util/png.js';
import { runCli } from '../helpers/cli.js';

let out: string;
let run: string;
let digits: Uint8Array; // the first 50 MNIST test images
let labels: Uint8Array;
const ROOT = resolve(import.meta.dirname, '..', '..');

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'mnist-run-predict-'));
  const small = ['--set', 'data.trainSize=1000', '--set', 'data.testSize=200', '--set', 'train.epochs=1'];
  const res = await runCli(['configs/ann.yaml', ...small, '--out', join(out, 'runs'), '--json']);
  expect(res.code, res.stderr).toBe(0);
  run = JSON.parse(res.stdout).runDir;
  const images = await readIdx(join(mnistDataDir(), 't10k-images-idx3-ubyte'));
  digits = images.data.slice(0, 50 * 784);
  labels = (await readIdx(join(mnistDataDir(), 't10k-labels-idx1-ubyte'))).data.slice(0, 50);
  await writeFile(join(out, 'first50.idx'), writeIdx([50, 28, 28], digits));
}, 300_000);
afterAll(() => rm(out, { recursive: true, force: true }));

const predictJson = async (...args: string[]) => {
  const res = await runCli(['predict', run, ...args, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { file: string; index?: number; predicted: number; probability: number }[];
};

/** Digit `i` as 90×120 dark ink on white paper: scaled ×2 (nearest), at (15, 30). */
function darkOnLight(i: number): Uint8Array {
  const px = new Uint8Array(90 * 120).fill(255);
  for (let y = 0; y < 56; y++) {
    for (let x = 0; x < 56; x++) px[(y + 30) * 90 + x + 15] = 255 - digits[i * 784 + (y >> 1) * 28 + (x >> 1)]!;
  }
  return px;
}

describe('mnist-run predict', () => {
  it('scores every image of an IDX file, and pictures of a digit as the model scores the digit', async () => {
    const idx = await predictJson(join(out, 'first50.idx'));
    expect(idx.map((p) => p.index)).toEqual([...Array(50).keys()]);
    const right = idx.filter((p, i) => p.predicted === labels[i]).length;
    expect(right).toBeGreaterThan(35); // a 1-epoch ANN on 1,000 images is right ~85% of the time
    // A digit the model is sure of: resampling may move a borderline one.
    const i = idx.findIndex((p, k) => p.probability > 0.9 && p.predicted === labels[k]);
    expect(i).toBeGreaterThanOrEqual(0);
    const grey = (w: number, h: number, pixels: Uint8Array) => encodePng({ width: w, height: h, pixels });
    await writeFile(join(out, 'plain.png'), grey(28, 28, digits.slice(i * 784, (i + 1) * 784)));
    await writeFile(join(out, 'scaled.png'), grey(90, 120, darkOnLight(i)));
    const rgba = new Uint8Array(90 * 120 * 4);
    darkOnLight(i).forEach((v, k) => {
      rgba.set([v, v, v, 255], k * 4);
    });
    await writeFile(join(out, 'photo.jpg'), jpeg.encode({ width: 90, height: 120, data: rgba }, 90).data);
    const pics = await predictJson(...['plain.png', 'scaled.png', 'photo.jpg'].map((f) => join(out, f)));
    expect(pics.map((p) => p.predicted)).toEqual([idx[i]!.predicted, idx[i]!.predicted, idx[i]!.predicted]);

    const text = await runCli(['predict', run, join(out, 'plain.png')]);
    expect(text.stdout).toMatch(/plain\.png: \d \(\d\.\d{3}\) {2}top 3: \d \d\.\d{3}, \d \d\.\d{3}, \d \d\.\d{3}\n$/);
  });

  it.each([
    ['a folder without a model', () => [out, 'x.png'], /not a run folder with a saved model: expected .*model\.json/],
    [
      'an unsupported image',
      () => [run, join(run, 'config.yaml')],
      /config\.yaml: not a supported image: expected PNG, JPEG/,
    ],
    ['a missing image', () => [run, join(out, 'nope.png')], /nope\.png: cannot read the file \(ENOENT\)/],
    [
      'an IDX file of another size',
      () => [run, join(out, 'small.idx')],
      /small\.idx: the model takes 28×28 images, this IDX file holds 1×7×7/,
    ],
  ])('refuses %s, naming it, without a stack trace', async (_, args, message) => {
    await writeFile(join(out, 'small.idx'), writeIdx([1, 7, 7], new Uint8Array(49)));
    const res = await runCli(['predict', ...args()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('mnist-run evaluate', () => {
  it("rescores the run's own test data as training did, into a new folder", async () => {
    const res = await runCli(['evaluate', run, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const e = JSON.parse(res.stdout);
    expect(e.dir).toMatch(/evaluations\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ_data$/);
    expect((await readdir(e.dir)).sort()).toEqual([
      'confusion_matrix.csv',
      'evaluation.json',
      'predictions.csv',
      'test_probabilities.csv',
    ]);
    expect(e.count).toBe(200);
    const summary = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
    // On the fastest backend, as training scored it (on the pure-JS cpu one a CNN took minutes).
    expect(e.backend).toBe(summary.backend);
    // A kernel may round differently from the fused step training used: a borderline digit may differ.
    expect(Math.abs(e.accuracy - summary.testAccuracy)).toBeLessThanOrEqual(0.01);
    const rows = async (dir: string) => (await readFile(join(dir, 'predictions.csv'), 'utf8')).trim().split('\n');
    const [mine, theirs] = [await rows(e.dir), await rows(run)];
    expect(mine).toHaveLength(201);
    expect(mine.filter((r, k) => r === theirs[k]).length).toBeGreaterThanOrEqual(198);
    expect(JSON.parse(await readFile(join(e.dir, 'evaluation.json'), 'utf8'))).toMatchObject({
      count: 200,
      accuracy: e.accuracy,
      data: { files: [{ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, expect.anything()] },
    });
    expect(e.crossEntropy).toBeGreaterThan(0);
  });

  it('scores another data folder whole, and leaves no temp folder behind', async () => {
    const data = join(out, 'other');
    await mkdir(data);
    const ten = writeIdx([10, 28, 28], digits.slice(0, 7840));
    for (const n of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte']) await writeFile(join(data, n), ten);
    for (const n of ['train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte']) {
      await writeFile(join(data, n), writeIdx([10], labels.slice(0, 10)));
    }
    const res = await runCli(['evaluate', run, '--data', data, '--backend', 'cpu']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/_other\naccuracy \d\.\d{4} on 10 images\n$/);
    expect(JSON.parse(await readFile(join(res.stdout.split('\n')[0]!, 'evaluation.json'), 'utf8')).backend).toBe('cpu');
    expect((await readdir(join(run, 'evaluations'))).filter((n) => n.startsWith('.'))).toEqual([]);
    const csv = await readFile(join(res.stdout.split('\n')[0]!, 'predictions.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(11);
  });

  it('needs only the test images and labels: a folder with just the two t10k files', async () => {
    const data = join(out, 'test-only');
    await mkdir(data);
    for (const n of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      await copyFile(join(mnistDataDir(), n), join(data, n));
    }
    const res = await runCli(['evaluate', run, '--data', data, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const e = JSON.parse(res.stdout);
    expect([e.count, e.data.files.map((f: { role: string }) => f.role)]).toEqual([
      10_000,
      ['testImages', 'testLabels'],
    ]);
    expect(e.accuracy).toBeGreaterThan(0.5);
  });

  it('refuses a data folder without the test files, naming the folder and the files it looked for', async () => {
    const res = await runCli(['evaluate', run, '--data', out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `mnist-run: ${out}: missing 2 of 2 data files:\n` +
        '  testImages (looked for t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, t10k-images.idx3-ubyte, t10k-images.idx3-ubyte.gz)\n' +
        '  testLabels (looked for t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte.gz, t10k-labels.idx1-ubyte, t10k-labels.idx1-ubyte.gz)\n' +
        'Put the MNIST-format test images and labels (plain or .gz) there, or pass another folder with --data.\n',
    );
  });
});

describe('README: Using a trained model', () => {
  it('its plain-tfjs snippet loads the saved model and predicts', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using a trained model'));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    expect(code).toContain("'runs/<run>/model'");
    const file = join(ROOT, 'dist', `readme-snippet-${process.pid}.mjs`); // beside node_modules' reach
    await writeFile(file, code.replace("'runs/<run>/model'", JSON.stringify(join(run, 'model'))));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file]);
      expect(stdout.trim().split('\n').at(-1)).toMatch(/^\d$/);
    } finally {
      await rm(file, { force: true });
    }
  });
});
