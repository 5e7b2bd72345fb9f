import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, loadRuns } from '../src/compare/compare.js';
import { formatTable } from '../src/compare/format.js';
import { meanStd } from '../src/compare/stats.js';
import { compareTable, differingKeys } from '../src/compare/table.js';
import { flatten } from '../src/run/read.js';
import { csvLines, parseCsv } from '../src/util/csv.js';
import { cfg, fakeRun } from './helpers/fake-run.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'compare-'));
  await fakeRun(join(root, 'runs', 'a1'), cfg('relu', 1), 0.9);
  await fakeRun(join(root, 'runs', 'a2'), cfg('relu', 2), 0.92);
  await fakeRun(join(root, 'runs', 'b1'), cfg('tanh', 1), 0.8);
  await fakeRun(join(root, 'runs', 'c1'), cfg('tanh', 1, 0.1), undefined, { status: 'failed', skip: ['summary.json'] });
  await fakeRun(join(root, 'old'), { seed: 1 }, 0.5, { skip: ['meta.json', 'metrics.jsonl'] });
});

describe('pure parts', () => {
  it.each([
    [{ a: { b: [1, { c: 2 }] } }, { 'a.b.0': 1, 'a.b.1.c': 2 }],
    [
      { e: [], f: {}, g: null },
      { e: [], f: {}, g: null },
    ],
  ])('flattens %j to dotted keys', (value, flat) => expect(flatten(value)).toEqual(flat));

  it.each([
    [
      [
        { a: 1, b: 2 },
        { a: 1, b: 3 },
      ],
      ['b'],
    ],
    [[{ a: 1 }, { a: 1, b: 3 }], ['b']],
    [[{ a: [1] }, { a: [1] }], []],
    [[{ a: 1 }], []],
  ])('finds the keys that differ in %j', (configs, keys) => expect(differingKeys(configs)).toEqual(keys));

  it.each([
    [[1, 2, 3], { mean: 2, std: 1, n: 3 }],
    [[0.5], { mean: 0.5, std: 0, n: 1 }],
    [[4, undefined, NaN, 6], { mean: 5, std: Math.SQRT2, n: 2 }],
    [[undefined], undefined],
  ])('gives mean ± std of %j', (xs, stat) => expect(meanStd(xs)).toEqual(stat));

  it('reads back the CSV it writes, quotes and commas included', () => {
    const rows = [
      ['a', 'b,c', 'say "hi"'],
      ['', 'x\ny', '1'],
    ];
    expect(parseCsv(csvLines(rows))).toEqual(rows);
  });
});

describe('compare', () => {
  it('folds replicates that differ only by seed and shows only the keys that differ', async () => {
    const t = await compareRuns({ paths: ['runs'], cwd: root });
    expect(formatTable(t, 'table')).toMatchInlineSnapshot(`
      "run           status             test_accuracy              test_loss   best_epoch           seconds  optimizer      model
      ------------  ---------  ---------------------  ---------------------  -----------  ----------------  -------------  ------
      a1 (2 seeds)  completed  0.9100 ± 0.0141 (n=2)  0.0900 ± 0.0141 (n=2)  2 ± 0 (n=2)  10.0 ± 0.0 (n=2)  adam(lr=0.01)  8:relu
      b1            completed                 0.8000                 0.2000            2              10.0  adam(lr=0.01)  8:tanh
      c1            failed                                                                                  adam(lr=0.1)   8:tanh"
    `);
  });

  it('lists each replicate with --no-collapse, sorted and filtered', async () => {
    const t = await compareRuns({
      paths: ['runs'],
      cwd: root,
      collapse: false,
      sort: 'test_accuracy:desc',
      filters: ['optimizer.learningRate=0.01'],
    });
    expect(formatTable(t, 'csv')).toMatchInlineSnapshot(`
      "run,status,test_accuracy,test_loss,best_epoch,seconds,seed,model,epochs,samples_per_s,model.layers.0.activation,dir
      a2,completed,0.92,0.07999999999999996,2,10,2,8:relu,2,6000,relu,runs/a2
      a1,completed,0.9,0.09999999999999998,2,10,1,8:relu,2,6000,relu,runs/a1
      b1,completed,0.8,0.19999999999999996,2,10,1,8:tanh,2,6000,tanh,runs/b1"
    `);
  });

  it.each(['table', 'markdown', 'csv', 'json'] as const)(
    'writes %s with a row per run and a mean ± std where folded',
    async (format) => {
      const text = formatTable(await compareRuns({ paths: ['runs'], cwd: root, sort: 'run' }), format);
      const expected = {
        table: /a1 \(2 seeds\).*0\.9100 ± 0\.0141 \(n=2\)/,
        markdown: /^\| run \|.*\n\|---\|/,
        csv: /test_accuracy,test_accuracy_std.*,n\n/,
        json: /"mean": 0\.91/,
      };
      expect(text).toMatch(expected[format]);
    },
  );

  it('shows what an old or partial run has instead of failing', async () => {
    const [old] = await loadRuns(['old'], root);
    expect(old!.record).toMatchObject({ status: 'completed', problems: ['meta.json missing'] });
    const t = compareTable(await loadRuns(['old', 'runs/c1'], root), {});
    const col = (name: string) => t.rows.map((r) => r[t.columns.indexOf(name)]);
    expect(t.columns).not.toContain('seed'); // the same in both
    expect([col('run'), col('status'), col('loss'), col('test_accuracy')]).toEqual([
      ['old', 'c1'],
      ['completed', 'failed'],
      [undefined, 'categoricalCrossentropy'],
      [0.5, undefined],
    ]);
  });

  it('finds runs in a sweep folder by its plan, and in a folder of sweeps', async () => {
    await fakeRun(join(root, 'sweeps', 'sw', 'runs', 'id1'), cfg('relu', 1), 0.7);
    await writeFile(
      join(root, 'sweeps', 'sw', 'plan.json'),
      JSON.stringify({
        runs: [
          { dir: 'runs/id1', label: 'act=relu' },
          { dir: 'runs/id2', label: 'not run yet' },
        ],
      }),
    );
    expect((await loadRuns(['sweeps/sw'], root)).map((r) => r.label)).toEqual(['act=relu']);
    expect((await loadRuns(['sweeps'], root)).map((r) => r.label)).toEqual(['sw: act=relu']);
  });

  it.each([
    [
      '{"runs": [',
      /^bad\/plan\.json: not readable JSON \(.*\); rerun the sweep to rewrite it, or compare its run folders directly: bad\/runs$/,
    ],
    ['{"runs": [{"dir": "runs/a"}]}', /^bad\/plan\.json: runs\[0\]\.label: missing; rerun the sweep/],
    [
      '{"runs": [{"dir": "../../elsewhere", "label": "x"}]}',
      /^bad\/plan\.json: runs\[0\]\.dir: expected a folder inside the sweep folder; rerun the sweep/,
    ],
    ['{"runs": [{"dir": "/etc", "label": "x"}]}', /runs\[0\]\.dir: expected a folder inside the sweep folder/],
  ])('refuses a damaged plan.json %s, naming the file, the field and the fix', async (plan, message) => {
    await mkdir(join(root, 'bad'), { recursive: true });
    await writeFile(join(root, 'bad', 'plan.json'), plan);
    await expect(loadRuns(['bad'], root)).rejects.toThrow(message);
  });

  it.each([
    [
      { paths: ['nope'] },
      'nope: no such run or sweep folder; pass run folders (runs/…), a sweep folder (sweeps/NAME) or a folder of runs',
    ],
    [
      { paths: ['runs'], filters: ['optimzer.type=adam'] },
      /^--filter optimzer.type=adam: no run has the key "optimzer.type" \(did you mean optimizer.type\?\); keys: run, status, dir, seed, loss/,
    ],
    [
      { paths: ['runs'], filters: ['adam'] },
      '--filter adam: expected KEY OP VALUE with OP one of >= <= != = > < ~; e.g. --filter test_accuracy>0.97, --filter optimizer.type!=sgd, --filter tag=baseline',
    ],
    [
      { paths: ['runs'], sort: 'acc' },
      /^--sort acc: no column "acc"; columns: run, status, test_accuracy, test_loss, best_epoch, seconds, optimizer, model, epochs/,
    ],
  ])('rejects %j with a message that says how to fix it', async (o, message) => {
    await expect(compareRuns({ cwd: root, ...o })).rejects.toThrow(message);
  });
});

describe('reading many runs', () => {
  it('reads three hundred runs into one table', async () => {
    const many = join(root, 'many');
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        fakeRun(join(many, `r${String(i).padStart(3, '0')}`), cfg(i % 2 ? 'relu' : 'tanh', i), i / 300),
      ),
    );
    // Speed is not asserted here (timed tests flake on a shared machine); the closing note reports it.
    const text = formatTable(await compareRuns({ paths: ['many'], cwd: root, collapse: false }), 'csv');
    expect(text.split('\n')).toHaveLength(301);
  });
});
