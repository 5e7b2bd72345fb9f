import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { loadModelDir } from '../../src/model/io.js';
import { MetaSchema, SummarySchema } from '../../src/run/format.js';
import { runCli } from '../helpers/cli.js';
import { diskFault } from '../helpers/faults.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'mnist-run-e2e-'));
  tf.enableProdMode();
  await tf.setBackend('cpu');
});
afterAll(() => rm(out, { recursive: true, force: true }));

const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');
/** A JSON file the CLI wrote, parsed with its schema: a field written wrong fails the test here. */
const json = async <S extends z.ZodType>(schema: S, file: string) =>
  schema.parse(JSON.parse(await readFile(file, 'utf8')));

async function waitFor(check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('mnist-run FILE', () => {
  const small = ['--set', 'data.trainSize=300', '--set', 'data.testSize=120', '--set', 'train.epochs=2'];

  it('trains on a subset of the real MNIST and leaves a complete run folder', async () => {
    const res = await runCli(['configs/ann.yaml', ...small, '--set', 'train.validation=test', '--out', out, '--json']);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(res.code).toBe(0);
    const { runDir, summary } = JSON.parse(res.stdout);
    expect(runDir).toMatch(/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ_ann_[0-9a-f]{6}$/);
    expect((await readdir(runDir)).sort()).toEqual([
      'config.resolved.yaml',
      'config.yaml',
      'confusion_matrix.csv',
      'history.csv',
      'meta.json',
      'metrics.jsonl',
      'model',
      'predictions.csv',
      'run.log',
      'summary.json',
      'test_probabilities.csv',
    ]);
    expect(await readFile(join(runDir, 'config.yaml'), 'utf8')).toBe(await readFile('configs/ann.yaml', 'utf8'));
    const resolved = parse(await readFile(join(runDir, 'config.resolved.yaml'), 'utf8'));
    expect(resolved.train.epochs).toBe(2);
    expect(resolved.data.trainSize).toBe(300);

    const meta = await json(MetaSchema, join(runDir, 'meta.json'));
    expect(meta).toMatchObject({ status: 'completed', seed: expect.any(Number), versions: { tfjs: '4.22.0' } });
    expect(meta.backend.name).toEqual(expect.any(String));
    expect(meta.data.files.map((f) => f.sha256)).toHaveLength(4);
    expect(meta.data.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect(Date.parse(meta.end ?? '')).toBeGreaterThanOrEqual(Date.parse(meta.start));

    const metrics = (await lines(join(runDir, 'metrics.jsonl'))).map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2]);
    expect(Object.keys(metrics[0])).toEqual([
      'formatVersion',
      'epoch',
      'loss',
      'accuracy',
      'val_loss',
      'val_accuracy',
      'seconds',
      'samples_per_second',
    ]);
    const history = await lines(join(runDir, 'history.csv'));
    expect(history[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,seconds,samples_per_second');
    expect(history).toHaveLength(3);

    const predictions = await lines(join(runDir, 'predictions.csv'));
    expect(predictions[0]).toBe('Actual,Predictions');
    expect(predictions).toHaveLength(121);
    const confusion = (await lines(join(runDir, 'confusion_matrix.csv')))
      .slice(1)
      .map((r) => r.split(',').slice(1).map(Number));
    expect(confusion).toHaveLength(10);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(120);

    const s = await json(SummarySchema, join(runDir, 'summary.json'));
    expect(s).toEqual(summary);
    expect(s.epochsRun).toBe(2);
    expect(s.params.total).toBe(468_874);
    expect(s.testAccuracy).toBeGreaterThan(0.5); // 300 images, 2 epochs: well above the 0.1 of guessing
    const right = predictions.slice(1).filter((r) => r.split(',')[0] === r.split(',')[1]).length;
    expect(s.testAccuracy).toBeCloseTo(right / 120, 10);

    // The saved model predicts exactly what predictions.csv says.
    const { loadDataset } = await import('../../src/data/dataset.js');
    const data = await loadDataset({ testSize: 120, trainSize: 1 });
    const model = await loadModelDir(join(runDir, 'model'));
    const x = tf.tensor(data.test.images, [120, 28, 28]);
    const predicted = Array.from((model.predict(x) as tf.Tensor).argMax(-1).dataSync());
    expect(predicted.map((p, i) => `${data.test.labels[i]},${p}`)).toEqual(predictions.slice(1));

    const log = (await lines(join(runDir, 'run.log'))).map((l) => JSON.parse(l));
    expect(log.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['run started', 'epoch 1/2', 'epoch 2/2', 'run completed']),
    );
  });

  it('gives the same losses for the same config and seed', async () => {
    const run = async () => {
      const res = await runCli(['configs/ann.yaml', ...small, '--backend', 'wasm', '--out', out, '--json']);
      expect(res.code).toBe(0);
      return (await lines(join(JSON.parse(res.stdout).runDir, 'metrics.jsonl'))).map((l) => JSON.parse(l).loss);
    };
    expect(await run()).toEqual(await run());
  });

  it('marks a run stopped with Ctrl-C as interrupted and keeps its finished epochs', async () => {
    const root = join(out, 'interrupt');
    let pid = 0;
    const done = runCli(
      [
        'configs/ann.yaml',
        '--set',
        'data.trainSize=200',
        '--set',
        'data.testSize=50',
        '--set',
        'train.epochs=200',
        '--out',
        root,
      ],
      {
        onSpawn: (p) => (pid = p),
      },
    );
    let metricsFile = '';
    await waitFor(async () => {
      const [dir] = await readdir(root);
      metricsFile = join(root, dir!, 'metrics.jsonl');
      return (await stat(metricsFile)).size > 0;
    });
    process.kill(pid, 'SIGINT');
    const res = await done;
    expect(res.code).toBe(130);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    const runDir = join(metricsFile, '..');
    expect((await json(MetaSchema, join(runDir, 'meta.json'))).status).toBe('interrupted');
    expect((await lines(metricsFile)).length).toBeGreaterThanOrEqual(1);
  });

  /** Starts the CNN on `trainSize` images and resolves once its training loop has begun. */
  async function startTraining(name: string, extra: string[]) {
    const root = join(out, name);
    let pid = 0;
    const done = runCli(['configs/cnn.yaml', '--set', 'data.testSize=50', ...extra, '--out', root], {
      onSpawn: (p) => (pid = p),
    });
    let runDir = '';
    await waitFor(async () => {
      const [dir] = await readdir(root);
      runDir = join(root, dir!);
      return (await readFile(join(runDir, 'run.log'), 'utf8')).includes('"msg":"training"');
    });
    return { done, runDir, signal: (s: NodeJS.Signals) => process.kill(pid, s) };
  }

  it('stops within a batch on SIGTERM, not at the end of the epoch: interrupted, exit 143', async () => {
    // One epoch of 20,000 images takes many seconds; a batch of 64, a few milliseconds.
    const run = await startTraining('sigterm', ['--set', 'data.trainSize=20000']);
    run.signal('SIGTERM');
    const res = await run.done;
    expect(res.code).toBe(143);
    expect(res.stderr).toMatch(/SIGTERM: stopping after the current batch/);
    expect(res.stderr).not.toMatch(/\n\s+at |internal error/);
    const meta = await json(MetaSchema, join(run.runDir, 'meta.json'));
    expect(meta).toMatchObject({ status: 'interrupted', error: 'training interrupted' });
    const metrics = await readFile(join(run.runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
    expect(metrics.trim()).toBe(''); // no epoch finished
  });

  it('quits at once on a second Ctrl-C in the middle of a batch, and still says so in meta.json', async () => {
    // Batches of 3,000 images take a while; both signals arrive during the first one. JavaScript runs
    // no handler inside a native step, so "at once" is as soon as that step returns: the process then
    // exits without finishing the epoch or writing results, and meta.json says so.
    const run = await startTraining('twice', ['--set', 'data.trainSize=6000', '--set', 'train.batchSize=3000']);
    run.signal('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    run.signal('SIGINT');
    const res = await run.done;
    expect(res.code).toBe(130);
    expect(res.stderr).toMatch(/Ctrl-C: stopping after the current batch \(Ctrl-C again to quit at once\)/);
    const meta = await json(MetaSchema, join(run.runDir, 'meta.json'));
    expect(meta.status).toBe('interrupted');
    expect(meta.error).toMatch(/stopped at once by a second signal/);
    expect(meta.end).not.toBeNull();
  });

  it('marks a run that fails mid-way as failed, with its error, and exits non-zero', async () => {
    const root = join(out, 'fail');
    // The disk "fills up" at the second epoch's history.csv: a fault at a known point, no race.
    const fault = diskFault({ file: 'history.csv', from: 2, code: 'ENOSPC' });
    const args = ['--set', 'data.trainSize=200', '--set', 'data.testSize=50', '--set', 'train.epochs=5'];
    const res = await runCli(['configs/ann.yaml', ...args, '--out', root], fault);
    expect(res.code).toBe(1);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stderr).toMatch(/no space left on device.*history\.csv/);
    const [dir] = await readdir(root);
    const runDir = join(root, dir!);
    const meta = await json(MetaSchema, join(runDir, 'meta.json'));
    expect(meta.status).toBe('failed');
    expect(meta.error).toMatch(/ENOSPC.*history\.csv/);
    // What was written before the fault is kept whole: epoch 1's history, and metrics up to the failing epoch.
    expect(await lines(join(runDir, 'history.csv'))).toHaveLength(2);
    expect((await lines(join(runDir, 'metrics.jsonl'))).map((l) => JSON.parse(l).epoch)).toEqual([1, 2]);
    expect(await readdir(runDir)).not.toContain('summary.json');
  });
});

describe('a run that cannot start', () => {
  it('writes nothing and says what is wrong, where', async () => {
    const root = join(out, 'nothing');
    const res = await runCli(['configs/ann.yaml', '--set', 'train.epochs=-1', '--out', root]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--set train\.epochs=-1/);
    await expect(stat(root)).rejects.toThrow(/ENOENT/);
  });

  it('rejects an unknown backend name before loading anything', async () => {
    const res = await runCli(['configs/ann.yaml', '--backend', 'tpu', '--out', out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Invalid values:[\s\S]*backend[\s\S]*tpu/);
  });
});
