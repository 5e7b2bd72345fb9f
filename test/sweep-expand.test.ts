import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeVersion, contentId } from '../src/sweep/content-id.js';
import { architectureKey, formatDuration, makespan, runSeconds } from '../src/sweep/estimate.js';
import { expandSweep, gridPoints, gridSize, overrideArgs, samplePoints, valueText } from '../src/sweep/expand.js';
import { loadSweep } from '../src/sweep/load.js';
import { SweepSchema } from '../src/sweep/schema.js';

const spec = (s: unknown) => SweepSchema.parse(s);

describe('grid expansion', () => {
  it.each([
    [{ a: [1, 2] }, ['a=1', 'a=2']],
    [{ a: [1, 2], b: ['x', 'y'] }, ['a=1 b=x', 'a=1 b=y', 'a=2 b=x', 'a=2 b=y']],
    [{ act: { relu: { 'l.0': 'relu', 'l.1': 'relu' }, tanh: { 'l.0': 'tanh' } } }, ['act=relu', 'act=tanh']],
    [{ o: [{ type: 'adam', learningRate: 0.001 }] }, ['o={ type: adam, learningRate: 0.001 }']],
  ])('expands %j into labelled points, the last axis fastest', (grid, labels) => {
    expect(gridPoints(grid).map((p) => p.label)).toEqual(labels);
    expect(gridSize(grid)).toBe(labels.length);
  });

  it('merges a named axis value into several overrides at once', () => {
    expect(gridPoints({ act: { relu: { 'l.0': 'relu', 'l.1': 'relu' } }, n: [3] })[0]!.overrides).toEqual({
      'l.0': 'relu',
      'l.1': 'relu',
      n: 3,
    });
  });
});

describe('expandSweep', () => {
  it.each([
    ['the base alone without grid or variants', { base: 'b.yaml' }, ['base']],
    [
      'variants after the grid, not crossed',
      { base: 'b', grid: { a: [1, 2] }, variants: { wide: { u: 9 } } },
      ['a=1', 'a=2', 'wide'],
    ],
    [
      'every point per seed, seeds 1..N for a count',
      { base: 'b', grid: { a: [1] }, seeds: 2 },
      ['a=1 seed=1', 'a=1 seed=2'],
    ],
    ['a list of seeds as written', { base: 'b', seeds: [7] }, ['base seed=7']],
  ])('gives %s', (_, s, labels) => {
    expect(expandSweep(spec(s)).map((p) => p.label)).toEqual(labels);
  });

  it('puts the sweep-wide set first so a point overrides it, and seeds last', () => {
    const [p] = expandSweep(spec({ base: 'b', set: { epochs: 1, a: 0 }, grid: { a: [5] }, seeds: [3] }));
    expect(overrideArgs(p!.overrides)).toEqual(['epochs=1', 'a=5', 'seed=3']);
  });

  it('samples the same points for the same seed, in grid order, without repeats', () => {
    const s = spec({ base: 'b', grid: { a: [1, 2, 3, 4], b: [1, 2, 3] }, random: { count: 5, seed: 11 } });
    const labels = expandSweep(s).map((p) => p.label);
    expect(labels).toEqual(expandSweep(s).map((p) => p.label));
    expect(new Set(labels).size).toBe(5);
    const order = gridPoints(s.grid!).map((p) => p.label);
    expect(labels.map((l) => order.indexOf(l))).toEqual([...labels.map((l) => order.indexOf(l))].sort((x, y) => x - y));
    expect(samplePoints([1, 2, 3], 3, 0)).toEqual([1, 2, 3]);
  });
});

describe('valueText', () => {
  it.each([
    ['relu', 'relu'],
    ['true', '"true"'],
    ['12', '"12"'],
    [12, '12'],
    [0.001, '0.001'],
    [false, 'false'],
    [[1, 2], '[ 1, 2 ]'],
    [{ type: 'sgd', learningRate: 0.01 }, '{ type: sgd, learningRate: 0.01 }'],
  ])('writes %j so that --set reads it back as %s', (value, text) => {
    expect(valueText(value)).toBe(text);
  });
});

describe('contentId', () => {
  const base = { resolvedYaml: 'seed: 1\n', dataSha256: ['aa', 'bb'], codeVersion: '0.1.0+abc' };
  it('is 16 hex, stable, and ignores the order of the data files', () => {
    expect(contentId(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(contentId({ ...base, dataSha256: ['bb', 'aa'] })).toBe(contentId(base));
  });
  it.each([
    ['config', { resolvedYaml: 'seed: 2\n' }],
    ['data', { dataSha256: ['aa', 'cc'] }],
    ['code version', { codeVersion: '0.1.0+def' }],
  ])('changes when the %s changes', (_, change) => {
    expect(contentId({ ...base, ...change })).not.toBe(contentId(base));
  });
  it('names the code by package version and commit when there is one', () => {
    expect([codeVersion('0.1.0', 'abc'), codeVersion('0.1.0', null)]).toEqual(['0.1.0+abc', '0.1.0']);
  });
});

describe('time estimates', () => {
  const speed = { trainSamplesPerSecond: 1000, inferSamplesPerSecond: 10_000 };
  it.each([
    // then one pass over the test set: its metrics and predictions
    ['no validation', 'none', 2 * 1 + 0.1],
    ['the test set as validation', 'test', 2 * (1 + 0.1) + 0.1],
    ['a 10% split', { split: 0.1 }, 2 * (0.9 + 0.01) + 0.1],
  ])('counts epochs of training plus evaluation with %s', (_, validation, seconds) => {
    expect(runSeconds({ train: { epochs: 2, validation } } as never, { train: 1000, test: 1000 }, speed)).toBeCloseTo(
      seconds,
      9,
    );
  });
  it.each([
    [[3, 3, 3, 3], 1, 12],
    [[3, 3, 3, 3], 2, 6],
    [[5, 1, 1, 1], 2, 5],
    [[1], 4, 1],
  ])('packs %j onto %i slots in %f seconds', (jobs, n, total) => {
    expect(makespan(jobs, n)).toBe(total);
  });
  it.each([
    [12.4, '12s'],
    [245, '4m 05s'],
    [3720, '1h 02m'],
  ])('formats %f s as %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('loadSweep', () => {
  const load = async (text: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-load-'));
    await writeFile(join(dir, 'x.sweep.yaml'), text);
    return loadSweep(join(dir, 'x.sweep.yaml'), dir);
  };
  it('reads a valid sweep with defaults filled', async () => {
    expect(await load('base: a.yaml\ngrid:\n  loss: [meanSquaredError]\nrandom: {count: 1}\n')).toEqual({
      base: 'a.yaml',
      grid: { loss: ['meanSquaredError'] },
      random: { count: 1, seed: 0 },
    });
  });
  it.each([
    [
      'grid:\n  a: [1]\n',
      'x.sweep.yaml has an error:\nx.sweep.yaml:1:1 base: expected a string, received nothing (it is required)',
    ],
    [
      'base: a.yaml\nseeds: -2\nvariant: {}\n',
      'x.sweep.yaml has 2 errors:\nx.sweep.yaml:2:8 seeds: expected a positive integer up to 10000 or a non-empty list of integers in [0, 4294967295], received -2\nx.sweep.yaml:3:1 variant: unknown key; did you mean variants?',
    ],
    [
      'base: a.yaml\ngrid:\n  a: [1, 2]\nrandom:\n  count: 3\n',
      "x.sweep.yaml has an error:\nx.sweep.yaml:5:10 random.count: expected at most 2 (the grid's size), received 3; lower it or drop `random:` to run the whole grid",
    ],
    [
      'base: a.yaml\nrandom: {count: 1}\n',
      'x.sweep.yaml has an error:\nx.sweep.yaml:2:9 random: random sampling needs a grid to sample from; add `grid:` or remove `random:`',
    ],
    [
      'base: [a\n',
      'x.sweep.yaml:2:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  ])('says where and what is wrong in %j', async (text, message) => {
    await expect(load(text)).rejects.toThrow(message);
  });
});

describe('architectureKey', () => {
  const cfg = (layers: object[], batchSize = 32) => ({ model: { layers }, train: { batchSize } }) as never;
  it.each([
    ['an activation', [{ type: 'activation', activation: 'relu' }], [{ type: 'activation', activation: 'tanh' }], true],
    ['a dropout rate', [{ type: 'dropout', rate: 0.2 }], [{ type: 'dropout', rate: 0 }], true],
    ['a layer width', [{ type: 'dense', units: 8 }], [{ type: 'dense', units: 16 }], false],
    ['an extra layer', [{ type: 'flatten' }], [{ type: 'flatten' }, { type: 'flatten' }], false],
  ])('decides whether runs differing only by %s share one calibration', (_, a, b, same) => {
    expect(architectureKey(cfg(a)) === architectureKey(cfg(b))).toBe(same);
  });
  it('times each batch size apart', () => {
    expect(architectureKey(cfg([{ type: 'flatten' }], 32))).not.toBe(architectureKey(cfg([{ type: 'flatten' }], 64)));
  });
});
