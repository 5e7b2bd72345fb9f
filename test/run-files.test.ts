import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRecord } from '../src/log.js';
import { createRunDir, timestampForPath } from '../src/run/folder.js';
import { metricsLine } from '../src/run/format.js';
import {
  accuracyOf,
  argmaxRows,
  confusionCsv,
  confusionMatrix,
  predictionsCsv,
  probabilitiesCsv,
} from '../src/run/results.js';
import { historyCsv, metricsFilesCallback } from '../src/train/callbacks/metrics-files.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { deriveSeed, makeRng, shuffledIndices } from '../src/util/random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-files-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('results files', () => {
  it("writes predictions in the notebook's Actual,Predictions format", () => {
    expect(predictionsCsv([7, 2, 1], [7, 2, 0])).toBe('Actual,Predictions\n7,7\n2,2\n1,0\n');
  });

  it("writes each test image's probabilities to 4 decimals, after its actual and predicted class", () => {
    const probabilities = new Float32Array([0.1, 0.85, 0.05, 0.000001, 0.2, 0.799999]);
    const classes = argmaxRows(probabilities, 3);
    expect([...classes]).toEqual([1, 2]);
    expect(probabilitiesCsv([1, 1], { probabilities, classes, numClasses: 3 })).toBe(
      'actual,predicted,0,1,2\n1,1,0.1,0.85,0.05\n1,2,0,0.2,0.8\n',
    );
  });

  it('counts the confusion matrix with rows as the actual class', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3);
    expect(m).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(confusionCsv(m)).toBe('actual,0,1,2\n0,1,1,0\n1,0,1,0\n2,1,0,2\n');
  });

  it('computes accuracy as the share of exact matches', () => {
    expect(accuracyOf([1, 2, 3, 4], [1, 2, 0, 4])).toBe(0.75);
  });
});

describe('metrics files', () => {
  const epoch = (e: number, loss: number) => ({
    epoch: e,
    metrics: { loss, accuracy: 0.5 },
    seconds: 2,
    samplesPerSecond: 100,
  });

  it('appends one JSON line per epoch and keeps history.csv in step', async () => {
    const cb = metricsFilesCallback({ runDir: dir, line: metricsLine });
    await cb.onEpochEnd!(epoch(1, 0.9));
    await cb.onEpochEnd!(epoch(2, 0.5));
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).loss)).toEqual([0.9, 0.5]);
    expect(await readFile(join(dir, 'history.csv'), 'utf8')).toBe(
      'epoch,loss,accuracy,seconds,samples_per_second\n1,0.9,0.5,2,100\n2,0.5,0.5,2,100\n',
    );
  });

  it('writes a header even with no epochs', () => {
    expect(historyCsv([])).toBe('epoch\n');
  });
});

describe('run folders', () => {
  it('names folders by UTC time in a file-system-safe form', () => {
    expect(timestampForPath(new Date('2026-11-28T14:03:22.456Z'))).toBe('2026-11-28T14-03-22Z');
  });

  it('never gives two runs started in the same second the same folder', async () => {
    const now = new Date('2026-11-28T14:03:22Z');
    const dirs = await Promise.all(Array.from({ length: 20 }, () => createRunDir(join(dir, 'runs'), 'cnn', now)));
    expect(new Set(dirs).size).toBe(20);
    expect((await readdir(join(dir, 'runs'))).every((d) => /^2026-11-28T14-03-22Z_cnn_[0-9a-f]{6}$/.test(d))).toBe(
      true,
    );
  });

  it('writes files atomically, leaving no temp file behind', async () => {
    await writeFileAtomic(join(dir, 'a.txt'), 'x');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('seeded randomness', () => {
  it('derives distinct, stable sub-seeds per label', () => {
    expect(deriveSeed(1, 'shuffle/1')).toBe(deriveSeed(1, 'shuffle/1'));
    expect(deriveSeed(1, 'shuffle/1')).not.toBe(deriveSeed(1, 'shuffle/2'));
    expect(deriveSeed(1, 'init')).not.toBe(deriveSeed(2, 'init'));
  });

  it('shuffles into a permutation that the seed fixes', () => {
    const a = shuffledIndices(1000, makeRng(5));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(a).toEqual(shuffledIndices(1000, makeRng(5)));
    expect(a).not.toEqual(shuffledIndices(1000, makeRng(6)));
  });
});

describe('terminal log lines', () => {
  it('turn a pino record into time, level, message and fields', () => {
    const rec = JSON.stringify({ level: 30, time: Date.UTC(2026, 10, 28, 16, 3, 22), msg: 'epoch 1/5', loss: 0.31 });
    expect(formatRecord(rec)).toBe('16:03:22 INFO  epoch 1/5 loss=0.31');
  });
});
