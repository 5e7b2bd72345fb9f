import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigSchema } from '../src/config/schema.js';
import { compileModel } from '../src/model/compile.js';
import { readCheckpoint, writeCheckpoint } from '../src/run/checkpoint.js';
import { earlyStoppingCallback } from '../src/train/callbacks/early-stopping.js';
import { lrScheduleCallback } from '../src/train/callbacks/lr-schedule.js';
import type { Callback } from '../src/train/callbacks/types.js';
import { type TrainState, trainModel } from '../src/train/loop.js';
import { optimizerState, restoreOptimizer } from '../src/train/optimizer-state.js';
import { Mulberry32, withMathRandom } from '../src/util/random.js';
import { blocks } from './helpers/blocks.js';

const silent = pino({ level: 'silent' });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-ckpt-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A new empty folder under the test's own. */
async function folder(name: string): Promise<string> {
  const made = join(dir, name);
  await rm(made, { recursive: true, force: true });
  await mkdir(made, { recursive: true });
  return made;
}

function config(optimizer: object): Config {
  return ConfigSchema.parse({
    model: {
      layers: [
        { type: 'flatten' },
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'batchNormalization' },
        { type: 'dropout', rate: 0.3 },
        { type: 'dense', units: 4, activation: 'softmax' },
      ],
    },
    optimizer,
    train: {
      epochs: 4,
      batchSize: 32,
      validation: 'test',
      earlyStopping: { monitor: 'val_loss', patience: 10, restoreBestWeights: true },
      lrSchedule: { type: 'reduceOnPlateau', monitor: 'loss', patience: 0, factor: 0.5, minDelta: 10 },
    },
  });
}

/**
 * Trains `cfg` as a run does (seeded dropout stream, callbacks with state, a checkpoint per epoch);
 * `stopAfter` ends the process's part after that epoch's checkpoint, `resumeFrom` starts from one.
 */
async function train(cfg: Config, o: { stopAfter?: number; resumeFrom?: string; file?: string } = {}) {
  const model = compileModel(cfg, [8, 8], 5);
  const resume = o.resumeFrom ? await readCheckpoint(o.resumeFrom) : undefined;
  const dropout = new Mulberry32(resume?.random.dropout ?? 99);
  if (resume) {
    model.setWeights(resume.weights);
    restoreOptimizer(model.optimizer, resume.optimizer);
  }
  const callbacks: Callback[] = [
    lrScheduleCallback(cfg.train.lrSchedule!, model.optimizer, silent),
    earlyStoppingCallback(cfg.train.earlyStopping!, model, silent),
  ];
  const stop = new Error('stopped');
  const history = await withMathRandom(dropout, () =>
    trainModel({
      model,
      train: blocks(256, 11),
      validation: blocks(64, 12),
      sampleShape: [8, 8],
      numClasses: 4,
      labelFormat: 'oneHot',
      metricNames: ['accuracy'],
      epochs: cfg.train.epochs,
      batchSize: cfg.train.batchSize,
      seed: 3,
      callbacks,
      resume: resume?.train,
      checkpoint: async (state: TrainState) => {
        const random = { dropout: dropout.state };
        await writeCheckpoint(o.file ?? dir, {
          train: state,
          weights: model.getWeights(),
          optimizer: optimizerState(model.optimizer),
          random,
        });
        if (state.epoch === o.stopAfter) throw stop;
      },
    }),
  ).catch((err) => {
    if (err !== stop) throw err;
    return undefined;
  });
  const weights = await Promise.all(model.getWeights().map((w) => w.data()));
  const slots = await Promise.all(optimizerState(model.optimizer).tensors.map((t) => t.tensor.data()));
  model.dispose();
  tf.disposeVariables();
  return { history, weights, slots };
}

const optimizers = [
  { type: 'sgd', learningRate: 0.1 },
  { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: true },
  { type: 'adam', learningRate: 0.01 },
  { type: 'rmsprop', learningRate: 0.01, momentum: 0.5 },
  { type: 'adagrad', learningRate: 0.1 },
  { type: 'adadelta', learningRate: 1 },
  { type: 'adamax', learningRate: 0.01 },
];

describe('a run resumed from a checkpoint', () => {
  it('covers every optimizer the schema offers', () => {
    const offered = ConfigSchema.shape.optimizer.unwrap().options.map((o) => o.shape.type.value);
    expect(new Set(optimizers.map((o) => o.type))).toEqual(new Set(offered));
  });

  it.each(optimizers)('ends bit for bit as an uninterrupted one: $type', async (optimizer) => {
    const cfg = config(optimizer);
    const whole = await train(cfg, { file: await folder(`whole-${optimizer.type}`) });
    const file = await folder(optimizer.type);
    expect((await train(cfg, { file, stopAfter: 2 })).history).toBeUndefined();
    const resumed = await train(cfg, { file, resumeFrom: file });
    expect(resumed.history?.map((h) => h.metrics)).toEqual(whole.history?.map((h) => h.metrics));
    expect(resumed.history?.map((h) => h.metrics.lr)).toEqual(whole.history?.map((h) => h.metrics.lr));
    expect(resumed.weights).toEqual(whole.weights); // best weights restored by early stopping, from its state
    expect(resumed.slots).toEqual(whole.slots);
    if (optimizer.type !== 'sgd') expect(resumed.slots.length).toBeGreaterThan(0);
  });
});

describe('checkpoint.bin', () => {
  it('keeps every tensor, int32 included, and the JSON state', async () => {
    const weights = [tf.tensor([1.5, -2, Number.MIN_VALUE], [3]), tf.tensor([[7]], [1, 1], 'int32')];
    const state: TrainState = { epoch: 2, stopped: true, history: [], callbacks: { x: { values: { a: 1 } } } };
    const sub = await folder('roundtrip');
    await writeCheckpoint(sub, {
      train: state,
      weights,
      optimizer: { iterations: 9, tensors: [] },
      random: { dropout: 123 },
    });
    const back = await readCheckpoint(sub);
    expect(back?.train).toEqual({ ...state, callbacks: { x: { values: { a: 1 }, tensors: [] } } });
    expect(await Promise.all(back!.weights.map((w) => w.array()))).toEqual([
      [1.5, -2, Math.fround(Number.MIN_VALUE)],
      [[7]],
    ]);
    expect(back?.weights[1]?.dtype).toBe('int32');
    expect(back?.optimizer.iterations).toBe(9);
    expect(back?.random.dropout).toBe(123);
    tf.dispose([...weights, ...back!.weights]);
  });

  it('is absent before the first epoch ends: undefined, not an error', async () => {
    expect(await readCheckpoint(join(dir, 'none'))).toBeUndefined();
  });

  it.each([
    ['not a checkpoint', () => Buffer.from('hello world, not one')],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 5)],
    ['a damaged header', (b: Buffer) => Buffer.concat([b.subarray(0, 14), Buffer.from('}}'), b.subarray(16)])],
  ])('refuses %s with a message naming the file', async (_, damage) => {
    const good = await readFile(join(dir, 'roundtrip', 'checkpoint.bin'));
    const bad = await folder(`bad-${_.replace(/\W/g, '')}`);
    await writeFile(join(bad, 'checkpoint.bin'), damage(good));
    await expect(readCheckpoint(bad)).rejects.toThrow(/checkpoint\.bin is damaged .*cannot resume/);
  });
});
