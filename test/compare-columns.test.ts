import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../src/compare/compare.js';
import { fitColumns, terminalWidth } from '../src/compare/fit.js';
import { modelTexts, optimizerText } from '../src/compare/fold.js';
import { formatTable } from '../src/compare/format.js';
import { flatten } from '../src/run/read.js';
import { fakeRun } from './helpers/fake-run.js';

const dense = (units: number) => ({ type: 'dense', units });
const act = (activation: string) => ({ type: 'activation', activation });
const layers = (...hidden: number[]) => [
  { type: 'flatten' },
  ...hidden.flatMap((u) => [dense(u), act('relu')]),
  dense(10),
  act('softmax'),
];
const run = (optimizer: object, hidden: number[], extra: object = {}) => ({
  seed: 1,
  optimizer,
  model: { layers: layers(...hidden) },
  ...extra,
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'compare-columns-'));
  const adam = { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999 };
  const rms = { type: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0, centered: true };
  await fakeRun(join(root, 'runs', 'r1'), run(adam, [512, 128], { tags: ['baseline'], notes: 'first try' }), 0.97);
  await fakeRun(join(root, 'runs', 'r2'), run({ type: 'sgd', learningRate: 0.01 }, [512, 128]), 0.91);
  await fakeRun(join(root, 'runs', 'r3'), run(rms, [512, 128, 64], { tags: ['deep', 'baseline'] }), 0.975);
  await fakeRun(join(root, 'runs', 'r4'), run(adam, [512, 128]), undefined, {
    status: 'failed',
    skip: ['summary.json'],
  });
});

describe('folding', () => {
  it.each([
    [{ type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999 }, 'adam(lr=0.001)'],
    [{ type: 'adam', learningRate: 0.001, beta1: 0.8, beta2: 0.999 }, 'adam(lr=0.001, beta1=0.8)'],
    [
      { type: 'momentum', learningRate: 0.01, momentum: 0.9, useNesterov: false },
      'momentum(lr=0.01, momentum=0.9, useNesterov=false)',
    ],
    [
      { type: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0, centered: true },
      'rmsprop(lr=0.001, centered=true)',
    ],
  ])('writes the optimizer %j as %s: the rate, and what is not the default', (o, text) =>
    expect(optimizerText(flatten({ optimizer: o }))).toBe(text),
  );

  it('shows only the layers that differ, activations joined to their dense layer', () => {
    const configs = [layers(512, 128), layers(512, 128, 64), layers(1024, 256)].map((l) =>
      flatten({ model: { layers: l } }),
    );
    expect(modelTexts(configs)).toEqual([
      '… 512:relu 128:relu …',
      '… 512:relu 128:relu 64:relu …',
      '… 1024:relu 256:relu …',
    ]);
    expect(modelTexts([flatten({ model: { layers: [dense(8), { type: 'dropout', rate: 0.2 }] } })])).toEqual([
      '8 dropout(rate=0.2)',
    ]);
  });
});

describe('columns, filters and width', () => {
  const table = async (o: object = {}, width?: number) =>
    formatTable(await compareRuns({ paths: ['runs'], cwd: root, ...o }), 'table', { width });

  it('puts results first, then tags and one column for the optimizer and one for the model', async () => {
    expect(await table()).toMatchInlineSnapshot(`
      "run  status     test_accuracy  test_loss  best_epoch  seconds  tags           optimizer                         model
      ---  ---------  -------------  ---------  ----------  -------  -------------  --------------------------------  --------------------
      r1   completed         0.9700     0.0300           2     10.0  baseline       adam(lr=0.001)                    … 128:relu …
      r2   completed         0.9100     0.0900           2     10.0                 sgd(lr=0.01)                      … 128:relu …
      r3   completed         0.9750     0.0250           2     10.0  deep,baseline  rmsprop(lr=0.001, centered=true)  … 128:relu 64:relu …
      r4   failed                                                                   adam(lr=0.001)                    … 128:relu …"
    `);
  });

  it.each([
    [['test_accuracy>0.95'], ['r1', 'r3']],
    [['test_accuracy>=0.97', 'test_accuracy<0.975'], ['r1']],
    [['test_accuracy<=0.91'], ['r2']],
    [['optimizer.type!=sgd'], ['r1', 'r3', 'r4']],
    [['optimizer.learningRate=1e-3'], ['r1', 'r3', 'r4']],
    [['status=failed'], ['r4']],
    [['tag=baseline'], ['r1', 'r3']],
    [['tag!=baseline'], ['r2', 'r4']],
    [['tags~dee'], ['r3']],
    [['model~64:relu'], ['r3']],
  ])('--filter %j keeps %j', async (filters, kept) => {
    const t = await compareRuns({ paths: ['runs'], cwd: root, filters, sort: 'run' });
    expect(t.rows.map((r) => r[0])).toEqual(kept);
  });

  it.each([
    [{ filters: ['test_accuracy>high'] }, '--filter test_accuracy>high: > compares numbers, received "high"'],
    [{ filters: ['=3'] }, '--filter =3: expected KEY OP VALUE'],
    [{ filters: ['seed='] }, '--filter seed=: expected KEY OP VALUE'],
    [{ filters: ['tset_accuracy>0.9'] }, 'no run has the key "tset_accuracy" (did you mean test_accuracy?)'],
    [
      { columns: ['run', 'test_acuracy'] },
      '--columns test_acuracy: no such column (did you mean test_accuracy?); columns: run, status',
    ],
  ])('refuses %j with a usage error', async (o, message) => {
    await expect(compareRuns({ paths: ['runs'], cwd: root, ...o })).rejects.toThrow(message);
  });

  it('shows the columns --columns names, config keys that do not differ included', async () => {
    expect(
      await table({ columns: ['run', 'test_accuracy', 'optimizer.beta1', 'notes'], sort: 'run' }),
    ).toMatchInlineSnapshot(`
      "run  test_accuracy  optimizer.beta1  notes
      ---  -------------  ---------------  ---------
      r1          0.9700              0.9  first try
      r2          0.9100
      r3          0.9750
      r4                              0.9"
    `);
  });

  it('fits the width: drops config columns from the right, cuts with …, and says so', async () => {
    const text = await table({}, 80);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(text).toMatchInlineSnapshot(`
      "run  status     test_accuracy  test_loss  best_epoch  seconds  tags
      ---  ---------  -------------  ---------  ----------  -------  -------------
      r1   completed         0.9700     0.0300           2     10.0  baseline
      r2   completed         0.9100     0.0900           2     10.0
      r3   completed         0.9750     0.0250           2     10.0  deep,baseline
      r4   failed
      2 columns left out to fit 80 characters (optimizer, model): choose with --colum…"
    `);
  });

  it('writes csv with every column, the run folder and the notes', async () => {
    const csv = formatTable(await compareRuns({ paths: ['runs'], cwd: root, sort: 'run' }), 'csv', { width: 40 });
    expect(csv.split('\n').slice(0, 2)).toMatchInlineSnapshot(`
      [
        "run,status,test_accuracy,test_loss,best_epoch,seconds,tags,optimizer,model,epochs,samples_per_s,optimizer.type,optimizer.learningRate,optimizer.beta1,optimizer.beta2,model.layers.5.units,model.layers.6.activation,optimizer.decay,optimizer.momentum,optimizer.centered,model.layers.7.type,model.layers.7.units,model.layers.8.type,model.layers.8.activation,notes,dir",
        "r1,completed,0.97,0.030000000000000027,2,10,baseline,adam(lr=0.001),… 128:relu …,2,6000,adam,0.001,0.9,0.999,10,softmax,,,,,,,,first try,runs/r1",
      ]
    `);
  });

  it.each([
    ['120', { isTTY: true, columns: 90 }, 120],
    [undefined, { isTTY: true, columns: 90 }, 90],
    [undefined, { isTTY: false, columns: 90 }, 100],
    ['wide', {}, 100],
  ])('takes the width from COLUMNS=%s, then the terminal %j: %i', (env, stdout, width) =>
    expect(terminalWidth(env, stdout)).toBe(width),
  );

  it.each([
    // The label is cut to 24 first; then the config column goes, as cutting it to 8 would not be enough.
    [
      40,
      {
        keep: [
          { i: 0, width: 24 },
          { i: 1, width: 13 },
        ],
        dropped: ['loss'],
        clipped: true,
      },
    ],
    // The label is cut only as far as needed…
    [
      70,
      {
        keep: [
          { i: 0, width: 33 },
          { i: 1, width: 13 },
          { i: 2, width: 20 },
        ],
        dropped: [],
        clipped: true,
      },
    ],
    // …and then the rightmost config column is cut short when that suffices.
    [
      55,
      {
        keep: [
          { i: 0, width: 24 },
          { i: 1, width: 13 },
          { i: 2, width: 14 },
        ],
        dropped: [],
        clipped: true,
      },
    ],
    // Too narrow even for the results: they stay, and the label is cut to no less than 10.
    [
      20,
      {
        keep: [
          { i: 0, width: 10 },
          { i: 1, width: 13 },
        ],
        dropped: ['loss'],
        clipped: true,
      },
    ],
  ])('fits run, test_accuracy, loss of 40, 13, 20 characters into %i, never dropping a result', (limit, fit) =>
    expect(fitColumns(['run', 'test_accuracy', 'loss'], [40, 13, 20], limit)).toEqual(fit),
  );
});
