import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyThreads, checkWhole } from '../src/cli/commands/options.js';
import { type LoadOptions, loadConfig } from '../src/config/load.js';
import { estimateMemory, MAX_TENSOR_VALUES } from '../src/config/memory.js';
import { ConfigSchema } from '../src/config/schema.js';
import { inferShapes } from '../src/config/shapes.js';
import { probeDataset } from '../src/data/dataset.js';
import { writeIdx } from '../src/data/idx.js';
import { ConfigError, DataError, UsageError } from '../src/errors.js';
import { loadSweep } from '../src/sweep/load.js';
import { cnn } from './helpers/specs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-limits-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The ConfigError message of loading `text` as x.yaml (shown as x.yaml), or 'ok'. */
async function outcome(text: string, sets: string[] = [], opts: LoadOptions = {}): Promise<string> {
  await writeFile(join(dir, 'x.yaml'), text);
  return loadConfig(join(dir, 'x.yaml'), sets, { cwd: dir, ...opts }).then(
    () => 'ok',
    (e: unknown) => {
      if (!(e instanceof ConfigError)) throw e;
      return e.message.replaceAll(dir, '<dir>');
    },
  );
}

const LAYERS = 'model:\n  layers: [{type: flatten}, {type: dense, units: 10, activation: softmax}]\n';

describe('every YAML problem is a located ConfigError', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcde'[i]}`).join(', ')}]`),
  ];
  it.each([
    [
      'an alias without its anchor',
      `${LAYERS}seed: *nope\n`,
      'x.yaml:3:7 not valid YAML: alias *nope has no anchor &nope before it; define the anchor first or write the value out',
    ],
    [
      'an alias bomb',
      `${bomb.join('\n')}\n${LAYERS}`,
      'x.yaml:2:8 not valid YAML: the aliases expand to more than 100 copies (*a alone is used 9 times, of values that hold aliases themselves); a config this size needs no anchors: write the values out',
    ],
    [
      'a list as a key',
      `${LAYERS}? [a, b]\n: 3\n`,
      'x.yaml:3:3 not valid YAML: a key must be a plain name, not a list or a map',
    ],
    ['a duplicate key', `${LAYERS}seed: 1\nseed: 2\n`, 'x.yaml:4:1 not valid YAML: Map keys must be unique'],
    [
      'two documents',
      `${LAYERS}---\nseed: 2\n`,
      'x.yaml:3:1 not valid YAML: the file holds a second YAML document (after a --- line); a config is one document: remove the ---, or split it in two files',
    ],
    [
      'a YAML 1.1 binary tag, read as the string it is',
      `${LAYERS}name: !!binary aGk=\nseed: !!binary 3\n`,
      'x.yaml:4:16 seed: expected an integer in [0, 4294967295], received "3"',
    ],
  ])('%s', async (_, text, expected) => {
    expect(await outcome(text)).toBe(expected);
  });

  it.each([
    [
      'train.epochs=*a',
      '--set train.epochs=*a: the value is not valid YAML (alias *a has no anchor &a before it; define the anchor first or write the value out); quote it or fix the brackets',
    ],
    [
      'train={? [1]: 2}',
      '--set train={? [1]: 2}: the value is not valid YAML (a key must be a plain name, not a list or a map); quote it or fix the brackets',
    ],
  ])('in the override %s', async (set, expected) => {
    expect(await outcome(LAYERS, [set])).toBe(expected);
  });

  it.each([
    [
      'a merge of a number',
      'variants:\n  a: {<<: 3}\n',
      'x.sweep.yaml:3:11: not valid YAML: a merge key (<<) takes a map or an alias of one (<<: *defaults), or a list of them',
    ],
    [
      'an alias without its anchor',
      'variants:\n  a: *nope\n',
      'x.sweep.yaml:3:6: not valid YAML: alias *nope has no anchor &nope before it; define the anchor first or write the value out',
    ],
    [
      'a billion seeds',
      'seeds: 1000000000\n',
      'x.sweep.yaml has an error:\nx.sweep.yaml:2:8 seeds: expected a positive integer up to 10000 or a non-empty list of integers in [0, 4294967295], received 1000000000',
    ],
    [
      'a grid of 10^6 points',
      `grid:\n${['a', 'b', 'c'].map((k) => `  ${k}: [${Array(100).fill(1).join(', ')}]`).join('\n')}\n`,
      'x.sweep.yaml has an error:\nx.sweep.yaml:3:3 grid: expected at most 10000 runs, received 1,000,000 (grid points × 1 seeds); sample the grid with random: {count: N}, or use fewer values or seeds',
    ],
  ])('in a sweep file: %s', async (_, body, expected) => {
    const file = join(dir, 'x.sweep.yaml');
    await writeFile(file, `base: x.yaml\n${body}`);
    await expect(loadSweep(file, dir)).rejects.toThrow(new ConfigError(expected));
  });
});

const SMALL_DATA = { trainSize: 64, testSize: 64 };

describe('the memory estimate', () => {
  const parse = (c: object) => ConfigSchema.parse(c);
  const estimate = (c: object, trainCount = 60_000) => {
    const cfg = parse(c);
    const { shapes } = inferShapes(cfg.model.layers, [28, 28]);
    return estimateMemory(cfg, [28, 28], shapes, { trainCount, testCount: 10_000, pixels: 784 });
  };

  it("counts the notebook CNN's parameters as Keras does, and Adam's two slots", () => {
    const e = estimate({ ...cnn, train: { batchSize: 64 } });
    expect([e.params, e.trainableParams]).toEqual([601_578, 601_194]);
    expect(e.bytes.weights).toBe(601_578 * 4);
    expect(e.bytes.gradients).toBe(601_194 * 4);
    expect(e.bytes.optimizer).toBe(5 * 601_194 * 4); // 2 slots, their replacements and the new weights
    expect(e.bytes.data).toBe(70_000 * 784 * 5);
  });

  it('counts one batch of every output, kept and its gradient', () => {
    const e = estimate(
      { model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] }, optimizer: { type: 'sgd' } },
      16,
    );
    expect(e.bytes.optimizer).toBe(7_850 * 4); // sgd: no slots, one new weight per update
    expect(e.bytes.activations).toBe(2 * 16 * (784 + 784 + 10) * 4); // the batch is at most the training set
  });

  it.each([
    [
      'a dense layer too large for memory',
      [{ type: 'flatten' }, { type: 'dense', units: 1_000_000 }, { type: 'dense', units: 10, activation: 'softmax' }],
      {},
      SMALL_DATA,
      /^x\.yaml:6:31 model\.layers\[1\]\.units: training would need about 21\.0 GiB, more than the 3\.2 GiB it may use \(80% of this machine's 4\.0 GiB\) \(795,000,010 parameters: .*\); make the largest layer smaller/,
    ],
    [
      'a batch too large for memory',
      [
        { type: 'reshape', targetShape: [28, 28, 1] },
        { type: 'conv2d', filters: 256, kernelSize: 3, padding: 'same' },
        { type: 'globalMaxPooling2d' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
      { batchSize: 4096 },
      {},
      /^x\.yaml:\d+:\d+ train\.batchSize: training would need about .* GiB.*; lower train\.batchSize \(4096\)/,
    ],
    [
      'an output past the typed-array limit',
      [
        { type: 'reshape', targetShape: [28, 28, 1] },
        { type: 'conv2d', filters: 100_000, kernelSize: 3 },
        { type: 'globalMaxPooling2d' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
      {},
      SMALL_DATA,
      `x.yaml:6:7 model.layers[1]: its output for a batch of 32 would be one tensor of 2,163,200,000 values, over the ${MAX_TENSOR_VALUES.toLocaleString('en-US')} tfjs can hold in one typed array; lower train.batchSize or make this layer smaller`,
    ],
  ])('refuses %s, located, with the figure and the memory', async (_, layers, train, data, expected) => {
    const text = `data: ${JSON.stringify(data)}\ntrain: ${JSON.stringify(train)}\nmodel:\n  layers:\n${layers.map((l) => `    - ${JSON.stringify(l)}`).join('\n')}\n`;
    const got = await outcome(text, [], { memory: 4 * 1024 ** 3 });
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });

  it('lets the shipped CNN through on a 4 GiB machine', async () => {
    expect(
      await outcome(
        `model:\n  layers:\n${cnn.model.layers.map((l) => `    - ${JSON.stringify(l)}`).join('\n')}\n`,
        [],
        { memory: 4 * 1024 ** 3 },
      ),
    ).toBe('ok');
  });
});

describe('configs tfjs cannot train are refused where they are written', () => {
  it('a dilated convolution: tfjs 4.22 has no gradient for it', async () => {
    const text =
      'model:\n  layers:\n    - {type: reshape, targetShape: [28, 28, 1]}\n    - {type: conv2d, filters: 2, kernelSize: 3, dilationRate: 2}\n    - {type: flatten}\n    - {type: dense, units: 10, activation: softmax}\n';
    expect(await outcome(text)).toBe(
      'x.yaml:4:63 model.layers[1].dilationRate: expected 1, received 2: tfjs 4.22 cannot train a dilated convolution (it has no gradient for one); remove dilationRate, or widen kernelSize instead',
    );
  });
});

describe('a data folder that does not fit the config is refused before anything loads', () => {
  let data: string;
  beforeAll(async () => {
    // 8×8 images of 5 classes: neither MNIST's size nor its class count.
    data = join(dir, 'small');
    await mkdir(data);
    const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 5);
    await writeFile(join(data, 'train-images-idx3-ubyte.gz'), gzipSync(writeIdx([6, 8, 8], new Uint8Array(6 * 64))));
    await writeFile(join(data, 'train-labels-idx1-ubyte'), writeIdx([6], labels(6)));
    await writeFile(join(data, 't10k-images-idx3-ubyte'), writeIdx([5, 8, 8], new Uint8Array(5 * 64)));
    await writeFile(join(data, 't10k-labels-idx1-ubyte'), writeIdx([5], labels(5)));
  });
  const withData = (rest: string) => outcome(`data: {path: small}\n${rest}`, [], { probeData: probeDataset });

  it('reads the facts from the headers and the labels', async () => {
    expect(await probeDataset(data)).toEqual({
      rows: 8,
      cols: 8,
      numClasses: 5,
      trainCount: 6,
      testCount: 5,
      files: { images: join(data, 'train-images-idx3-ubyte.gz'), labels: join(data, 'train-labels-idx1-ubyte') },
    });
  });

  it.each([
    [
      'ten outputs for five classes',
      LAYERS,
      'x.yaml:3:50 model.layers[1].units: the last layer must give 5 outputs (one per class), it gives [10] (data.path: 8×8 images in <dir>/small/train-images-idx3-ubyte.gz, labels 0-4 in <dir>/small/train-labels-idx1-ubyte); set units: 5',
    ],
    [
      'a reshape for 28×28 images',
      'model:\n  layers: [{type: reshape, targetShape: [28, 28, 1]}, {type: flatten}, {type: dense, units: 5, activation: softmax}]\n',
      'x.yaml:3:41 model.layers[0].targetShape: [28, 28, 1] holds 784 values but its input [8, 8] holds 64; the products must match (data.path: 8×8 images in <dir>/small/train-images-idx3-ubyte.gz, labels 0-4 in <dir>/small/train-labels-idx1-ubyte)',
    ],
  ])('%s', async (_, rest, expected) => {
    expect(await withData(rest)).toBe(expected);
  });

  it('more images than the folder holds', async () => {
    const got = await outcome(`data: {path: small, trainSize: 7}\n${LAYERS.replace('units: 10', 'units: 5')}`, [], {
      probeData: probeDataset,
    });
    expect(got).toBe(
      "x.yaml:1:32 data.trainSize: expected at most 6 (the data folder's training images), received 7; lower it or leave it out to use them all",
    );
  });

  it('a damaged header is a DataError naming the file', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad);
    for (const f of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'])
      await writeFile(join(bad, f), writeIdx([1], [0]));
    await writeFile(join(bad, 'train-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0]));
    await expect(probeDataset(bad)).rejects.toThrow(
      new DataError(
        `${join(bad, 'train-images-idx3-ubyte')}: truncated header: rank 3 needs 16 header bytes, file has 6; download the file again`,
      ),
    );
  });
});

describe('numeric options have bounds that say how to fix them', () => {
  it.each([
    [0, '--threads: expected a whole number from 1 to 1024, received 0'],
    [1e9, '--threads: expected a whole number from 1 to 1024, received 1000000000'],
    [2.5, '--threads: expected a whole number from 1 to 1024, received 2.5'],
  ])('--threads %s', (n, expected) => {
    expect(() => applyThreads(n)).toThrow(UsageError);
    expect(() => applyThreads(n)).toThrow(expected);
  });

  it('checkWhole passes the bounds themselves and names the fix past them', () => {
    expect(() => checkWhole('parallel', 256, [1, 256], 'fix')).not.toThrow();
    expect(() => checkWhole('parallel', 1e9, [1, 256], 'use fewer')).toThrow(
      new UsageError('--parallel: expected a whole number from 1 to 256, received 1000000000; use fewer'),
    );
  });
});
