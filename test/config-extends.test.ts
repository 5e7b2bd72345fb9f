import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type LoadedConfig, loadConfig } from '../src/config/load.js';
import { problemsOf } from '../src/config/located.js';
import { ConfigError } from '../src/errors.js';
import { contentId } from '../src/sweep/content-id.js';
import { loadSweep } from '../src/sweep/load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-extends-'));
  await mkdir(join(dir, 'sub'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const LAYERS =
  'model:\n  layers:\n    - type: flatten\n    - type: dense\n      units: 10\n      activation: softmax\n';

/** Writes every file of `files` into the scratch folder, then loads `main`. */
async function loadFiles(files: Record<string, string>, main = 'x.yaml', overrides: string[] = []) {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return loadConfig(join(dir, main), overrides, { cwd: dir });
}

async function failure(files: Record<string, string>, main = 'x.yaml'): Promise<ConfigError> {
  const err = await loadFiles(files, main).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('extends', () => {
  const merged: [string, Record<string, string>, (c: LoadedConfig['config']) => unknown, unknown][] = [
    [
      'maps merge key by key: the child sets epochs, the parent batchSize stays',
      {
        'p.yaml': `${LAYERS}train:\n  epochs: 7\n  batchSize: 64\n`,
        'x.yaml': 'extends: p.yaml\ntrain:\n  epochs: 2\n',
      },
      (c) => [c.train.epochs, c.train.batchSize],
      [2, 64],
    ],
    [
      'a list in the child replaces the parent list whole',
      {
        'p.yaml':
          'model:\n  layers:\n    - type: flatten\n    - type: dense\n      units: 32\n    - type: dropout\n      rate: 0.5\n    - type: dense\n      units: 10\n      activation: softmax\n',
        'x.yaml': `extends: p.yaml\n${LAYERS}`,
      },
      (c) => c.model.layers.map((l) => l.type),
      ['flatten', 'dense'],
    ],
    [
      'chains: x extends sub/m, which extends ../p (each path relative to its own file)',
      {
        'p.yaml': `${LAYERS}seed: 9\ntrain:\n  epochs: 5\n`,
        'sub/m.yaml': 'extends: ../p.yaml\ntrain:\n  epochs: 4\n  batchSize: 16\n',
        'x.yaml': 'extends: sub/m.yaml\ntrain:\n  epochs: 3\n',
      },
      (c) => [c.seed, c.train.epochs, c.train.batchSize],
      [9, 3, 16],
    ],
    [
      'the name defaults to the file run, not to the parent',
      { 'p.yaml': LAYERS, 'x.yaml': 'extends: p.yaml\n' },
      (c) => c.name,
      'x',
    ],
  ];
  it.each(merged)('%s', async (_, files, pick, want) => {
    const loaded = await loadFiles(files);
    expect(pick(loaded.config)).toEqual(want);
    expect(loaded.text).toBe(files['x.yaml']); // config.yaml stays as written
    expect(parse(loaded.resolvedYaml)).not.toHaveProperty('extends');
    expect(parse(loaded.resolvedYaml)).toEqual(loaded.config);
  });

  it('--set applies on top of the merged config', async () => {
    const loaded = await loadFiles({ 'p.yaml': LAYERS, 'x.yaml': 'extends: p.yaml\n' }, 'x.yaml', ['train.epochs=6']);
    expect(loaded.config.train.epochs).toBe(6);
  });

  const errors: [string, Record<string, string>, string][] = [
    [
      'a cycle is named, file by file, at the extends that closes it',
      { 'a.yaml': 'extends: b.yaml\n', 'b.yaml': `${LAYERS}extends: x.yaml\n`, 'x.yaml': 'extends: a.yaml\n' },
      'b.yaml:7:10 extends: the configs extend each other in a cycle: x.yaml → a.yaml → b.yaml → x.yaml; remove one of these extends',
    ],
    [
      'a file that extends itself is a cycle too',
      { 'x.yaml': `${LAYERS}extends: x.yaml\n` },
      'x.yaml:7:10 extends: the configs extend each other in a cycle: x.yaml → x.yaml; remove one of these extends',
    ],
    [
      'a missing parent is reported at the extends naming it',
      { 'x.yaml': `${LAYERS}extends: nope.yaml\n` },
      'x.yaml:7:10 extends: cannot read nope.yaml: no such file; the path is relative to the folder of x.yaml',
    ],
    [
      'extends must be a path',
      { 'x.yaml': `${LAYERS}extends: [a.yaml]\n` },
      'x.yaml:7:10 extends: expected the path of a config file (relative to this one) like base.yaml, received ["a.yaml"]',
    ],
    [
      "a bad value the parent wrote is located in the parent's file",
      {
        'p.yaml':
          'seed: 1\nmodel:\n  layers:\n    - type: flatten\n    - type: dense\n      units: -3\n      activation: softmax\n',
        'x.yaml': 'extends: p.yaml\ntrain:\n  epochs: 2\n',
      },
      'p.yaml:6:14 model.layers[1].units: expected',
    ],
    [
      "a bad value the child wrote is located in the child's file, with the parent's problems after it",
      { 'p.yaml': `${LAYERS}train:\n  epochs: 0\n`, 'x.yaml': 'extends: p.yaml\ntrain:\n  batchSize: -1\n' },
      'x.yaml:3:14 train.batchSize: expected',
    ],
    [
      'a YAML syntax error in the parent names the parent',
      { 'p.yaml': 'model: [\n', 'x.yaml': 'extends: p.yaml\n' },
      'p.yaml:',
    ],
  ];
  it.each(errors)('%s', async (_, files, want) => {
    const err = await failure(files);
    expect(err.message.split('\n')[0]).toContain(want);
  });

  it('the problems come as data too: file, line, column, path, message', async () => {
    const err = await failure({ 'p.yaml': `${LAYERS}train:\n  epochs: 0\n`, 'x.yaml': 'extends: p.yaml\nseed: -1\n' });
    const problems = (problemsOf(err) ?? []).map(({ file, line, column, path }) => ({
      file,
      line,
      column,
      path,
    }));
    expect(problems).toEqual([
      { file: 'x.yaml', line: 2, column: 7, path: 'seed' },
      { file: 'p.yaml', line: 8, column: 11, path: 'train.epochs' },
    ]);
  });
});

describe('a sweep file where a config goes', () => {
  it.each([
    ['base and grid', 'base: ann.yaml\ngrid:\n  seed: [1, 2]\n'],
    ['base alone', 'base: ann.yaml\n'],
    ['variants', 'base: ann.yaml\nvariants:\n  small: {train.epochs: 1}\n'],
  ])('%s: one error saying how to run it', async (_, text) => {
    const err = await failure({ 's.yaml': text }, 's.yaml');
    expect(err.message).toBe(
      's.yaml is a sweep file: run it with `mnist-run sweep s.yaml` (or `mnist-run sweep s.yaml --dry-run` to see its runs)',
    );
  });

  it('a config with an unknown key is still a config error, not a sweep', async () => {
    const err = await failure({ 'x.yaml': `${LAYERS}gird: 1\n` });
    expect(err.message).not.toContain('sweep');
  });
});

describe('tags and notes', () => {
  it('are read, and accepted only as short words', async () => {
    const ok = await loadFiles({ 'x.yaml': `${LAYERS}tags: [baseline, small]\nnotes: first try\n` });
    expect([ok.config.tags, ok.config.notes]).toEqual([['baseline', 'small'], 'first try']);
    const err = await failure({ 'x.yaml': `${LAYERS}tags: ['two words']\n` });
    expect(err.message).toContain('x.yaml:7:8 tags[0]: expected');
  });

  it('do not change the content id of a sweep run; other keys do', async () => {
    const id = async (extra: string) =>
      contentId({
        resolvedYaml: (await loadFiles({ 'x.yaml': `${LAYERS}${extra}` })).resolvedYaml,
        dataSha256: ['aa'],
        codeVersion: '1',
      });
    const plain = await id('');
    expect(await id('tags: [a]\nnotes: hello\n')).toBe(plain);
    expect(await id('seed: 2\n')).not.toBe(plain);
  });
});

describe('sweep file errors', () => {
  const sweep = async (text: string) => {
    await writeFile(join(dir, 'w.sweep.yaml'), text);
    const err = await loadSweep(join(dir, 'w.sweep.yaml'), dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return { message: (err as ConfigError).message, problems: problemsOf(err) ?? [] };
  };
  it.each([
    [
      'a number for base',
      'grid:\n  seed: [1]\nbase: 3\n',
      'w.sweep.yaml:3:7 base: expected',
      { line: 3, column: 7, path: 'base' },
    ],
    ['a missing base', 'grid:\n  seed: [1]\n', 'w.sweep.yaml:1:1 base: expected', { line: 1, column: 1, path: 'base' }],
    [
      'a typo of a key',
      'base: a.yaml\nvariant:\n  x: {seed: 1}\n',
      'w.sweep.yaml:2:1 variant: unknown key; did you mean variants?',
      { line: 2, column: 1, path: 'variant' },
    ],
    [
      'an empty grid axis',
      'base: a.yaml\ngrid:\n  seed: []\n',
      'w.sweep.yaml:3:9 grid.seed: expected at least one value for the axis (remove the axis to keep the base value), received []',
      { line: 3, column: 9, path: 'grid.seed' },
    ],
  ])('%s is located at its line and column, with its path', async (_, text, line, where) => {
    const err = await sweep(text);
    expect(err.message.split('\n')[1]).toContain(line);
    expect(err.problems[0]).toMatchObject({ file: 'w.sweep.yaml', ...where });
  });
});
