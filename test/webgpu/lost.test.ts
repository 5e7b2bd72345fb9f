/**
 * A lost GPU device ends the run `failed` with the reason, never a hang. Through the CLI, with the
 * device destroyed under it by a preload (test/helpers/gpu-fault.cjs) while a read-back is in flight:
 * mid-training, and after training while the model is saved. In process, a read-back in flight when
 * the device is destroyed rejects with GpuLostError, and so does everything after it. And lostAware
 * against a fake device: whichever Dawn reports first, the lost device or the failed map, the
 * read-back fails with GpuLostError.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTraits } from '../../src/accelerated/index.js';
import type { GpuDeviceLike } from '../../src/backend/webgpu/adapters.js';
import { activeDevice } from '../../src/backend/webgpu/index.js';
import { GpuLostError, LOST_GRACE_MS, lostAware, type WebgpuBackendClass } from '../../src/backend/webgpu/lost.js';
import { loadDataset } from '../../src/data/dataset.js';
import { RUN_FILES } from '../../src/output-files.js';
import { MetaSchema } from '../../src/run/format.js';
import { trainModel } from '../../src/train/loop.js';
import { runCli } from '../helpers/cli.js';
import { CLI_WEBGPU_ARGS, useWebgpu } from '../helpers/webgpu.js';

/** The most a child may take from the loss to its exit; and all in all, before it is killed as hung. */
const EXIT_AFTER_LOSS_MS = 10_000;
const HUNG_MS = 240_000;

let out: string;
beforeAll(async () => {
  out = join(tmpdir(), `mnist-run-webgpu-lost-${process.pid}`);
  await rm(out, { recursive: true, force: true });
});
afterAll(() => rm(out, { recursive: true, force: true }));

/** Resolves to `p`, or rejects if it is still pending after `ms`: a hang fails the test, it does not stall it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, hung]).finally(() => clearTimeout(timer));
}

// ann.yaml, 2 epochs of 4 batches, no validation: 6 read-backs an epoch (one a batch, one for the
// weights' finiteness check, one for the checkpoint), 12 in training, then the model is saved.
const SMALL = [
  '--set',
  'data.trainSize=64',
  '--set',
  'data.testSize=16',
  '--set',
  'train.batchSize=16',
  '--set',
  'train.epochs=2',
];

describe('a lost GPU device, through the CLI', () => {
  it.each([
    { when: 'mid-training (batch 2 of epoch 2)', readback: 8, epochsLogged: 1 },
    { when: 'after training, while the model is saved', readback: 13, epochsLogged: 2 },
  ])('$when: the run fails with the reason, promptly', async ({ readback, epochsLogged }) => {
    let killer: NodeJS.Timeout | undefined;
    const runs = join(out, `readback-${readback}`);
    const res = await runCli(['configs/ann.yaml', ...CLI_WEBGPU_ARGS, ...SMALL, '--out', runs], {
      nodeArgs: ['--require', join(import.meta.dirname, '..', 'helpers', 'gpu-fault.cjs')],
      env: { GPU_FAULT: JSON.stringify({ readback }) },
      onSpawn: (pid) => {
        killer = setTimeout(() => process.kill(pid, 'SIGKILL'), HUNG_MS);
      },
    }).finally(() => clearTimeout(killer));

    expect(res.stderr).toContain(`gpu-fault: device destroyed during read-back ${readback}\n`);
    expect(res.code, `killed as hung, or crashed:\n${res.stderr}`).toBe(1);
    const exited = Number(/gpu-fault: exited (\d+) ms after the device was destroyed/.exec(res.stderr)?.[1]);
    expect(exited).toBeLessThan(EXIT_AFTER_LOSS_MS);
    expect(res.stderr).toMatch(
      /\nmnist-run: the GPU device was lost \(destroyed: [^)]*\); the run cannot go on\. Check the GPU with `mnist-run doctor` and run again\n/,
    );
    expect(res.stderr).not.toMatch(/internal error|\n\s+at |AbortError/);

    const [dir] = await readdir(runs);
    const meta = MetaSchema.parse(JSON.parse(await readFile(join(runs, dir!, RUN_FILES.meta), 'utf8')));
    expect(meta.status).toBe('failed');
    expect(meta.error).toMatch(/^the GPU device was lost \(destroyed/);
    expect(meta.end).not.toBeNull();
    const files = await readdir(join(runs, dir!));
    expect(files).not.toContain(RUN_FILES.summary); // no results from a run that did not finish
    const epochs = (await readFile(join(runs, dir!, RUN_FILES.metrics), 'utf8')).trimEnd().split('\n');
    expect(epochs).toHaveLength(epochsLogged);
    const log = await readFile(join(runs, dir!, RUN_FILES.log), 'utf8');
    expect(log).toMatch(/"msg":"run failed"/);
  });
});

describe('lostAware: a read-back on a device going away', () => {
  /** A device whose loss is reported when `lose` is called; a backend whose read-backs wait on `settle`. */
  function fake() {
    let lose!: () => void;
    const device: GpuDeviceLike = {
      lost: new Promise((resolve) => {
        lose = () => resolve({ reason: 'unknown', message: 'the driver reset' });
      }),
      limits: {},
      destroy: () => lose(),
    };
    let settle!: { resolve: (v: ArrayBuffer) => void; reject: (e: unknown) => void };
    class Base {
      submitQueue() {}
      getBufferData(): Promise<ArrayBuffer | null> {
        return new Promise((resolve, reject) => {
          settle = { resolve, reject };
        });
      }
    }
    const Backend = lostAware(Base as unknown as WebgpuBackendClass, device);
    return { backend: new Backend(device), lose, settle: () => settle };
  }
  const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

  it('the loss reported first: the read-back in flight fails with GpuLostError, and so does the next', async () => {
    const f = fake();
    const read = f.backend.getBufferData({});
    f.lose(); // the map never settles
    await expect(within(read, 5000, 'read-back')).rejects.toThrow(GpuLostError);
    await expect(read).rejects.toThrow(/the GPU device was lost \(unknown: the driver reset\)/);
    await expect(f.backend.getBufferData({})).rejects.toThrow(GpuLostError);
    expect(() => f.backend.submitQueue()).toThrow(GpuLostError);
  });

  it('the failed map reported first: still GpuLostError, not the map error', async () => {
    const f = fake();
    const read = f.backend.getBufferData({});
    await tick();
    f.settle().reject(new DOMException('', 'AbortError'));
    await tick(20);
    f.lose();
    await expect(within(read, 5000, 'read-back')).rejects.toThrow(GpuLostError);
  });

  it('a device that is not lost: the map error as it was, after the grace', async () => {
    const f = fake();
    const read = f.backend.getBufferData({});
    await tick();
    const t0 = performance.now();
    f.settle().reject(new Error('mapping failed'));
    await expect(within(read, LOST_GRACE_MS + 5000, 'read-back')).rejects.toThrow('mapping failed');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(LOST_GRACE_MS - 50);
  });

  it('a read-back that succeeds is untouched', async () => {
    const f = fake();
    const read = f.backend.getBufferData({});
    await tick();
    const data = new ArrayBuffer(8);
    f.settle().resolve(data);
    expect(await read).toBe(data);
  });
});

describe('a lost GPU device, in process', () => {
  // Last in the file: the device stays lost.
  it('a read-back in flight rejects with GpuLostError, and so do the next op and the next training run', async () => {
    await useWebgpu();
    const a = tf.randomNormal([256, 256], 0, 1, 'float32', 7);
    expect((await tf.matMul(a, a).data()).length).toBe(256 * 256); // the kernels compiled, the device works
    const product = tf.matMul(a, a).sum();
    const read = product.data(); // copy, submit, map: in flight
    activeDevice()!.destroy();
    await expect(within(read, 30_000, 'read-back in flight')).rejects.toThrow(GpuLostError);
    await expect(read).rejects.toThrow(/^the GPU device was lost \(destroyed/);
    expect(deviceTraits()?.lost()).toBeInstanceOf(GpuLostError);

    await expect(within(tf.add(a, 1).data(), 30_000, 'read-back after the loss')).rejects.toThrow(GpuLostError);

    const data = await loadDataset({ trainSize: 16, testSize: 16 });
    const model = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    const batches: number[] = [];
    const run = trainModel({
      model,
      train: data.train,
      sampleShape: [28, 28],
      numClasses: 10,
      labelFormat: 'oneHot',
      metricNames: ['accuracy'],
      epochs: 1,
      batchSize: 8,
      seed: 1,
      callbacks: [{ onBatchEnd: (b) => void batches.push(b.batch) }],
    });
    await expect(within(run, 30_000, 'training on a lost device')).rejects.toThrow(GpuLostError);
    expect(batches).toEqual([]); // stopped before its first batch
  });
});
