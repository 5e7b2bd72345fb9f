import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunDir } from '../src/run/folder.js';
import { PlanRunsSchema, SweepPlanSchema } from '../src/sweep/format.js';
import { loadSweep } from '../src/sweep/load.js';
import { sweepName } from '../src/sweep/plan.js';
import type { SweepSpec } from '../src/sweep/schema.js';

/** Every name a file gives that becomes a path stays one segment under its root. */
const under = (root: string, segment: string) => {
  const rel = relative(root, join(root, segment));
  return rel !== '' && !rel.startsWith('..') && !rel.includes('/');
};

describe('names that become paths', () => {
  it.each([
    ['/a/x.sweep.yaml', '..', 'sweep'],
    ['/a/x.sweep.yaml', '.', 'sweep'],
    ['/a/x.sweep.yaml', '../../etc', 'etc'],
    ['/a/x.sweep.yaml', '/tmp/x', 'tmp-x'],
    ['/a/x.sweep.yaml', '.hidden', 'hidden'],
    ['/a/x.sweep.yaml', 'a\\..\\b', 'a-..-b'],
    ['/a/..sweep.yaml', undefined, 'sweep'],
    ['/a/...yaml', undefined, 'sweep'],
  ])('a sweep in %s named %j gets the folder sweeps/%s', (file, name, folder) => {
    const got = sweepName(file, { base: 'b.yaml', ...(name !== undefined && { name }) } as SweepSpec);
    expect(got).toBe(folder);
    expect(under('/out/sweeps', got)).toBe(true);
  });

  it('refuses a sweep name with nothing to name a folder by, at its line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-names-'));
    await writeFile(join(dir, 'x.sweep.yaml'), 'base: a.yaml\nname: ../..\n');
    await expect(loadSweep(join(dir, 'x.sweep.yaml'), dir)).rejects.toThrow(
      'x.sweep.yaml:2:7 name: expected a name with a letter or digit in it: it names the folder sweeps/<name>',
    );
  });

  it('refuses a plan.json whose run id or folder would step outside the sweep folder', () => {
    const run = { id: 'abc', label: 'l', overrides: [], dir: 'runs/abc' };
    const plan = { name: 'x', sweepFile: '/s', baseConfig: '/b', codeVersion: 'v', duplicates: [], runs: [run] };
    expect(SweepPlanSchema.safeParse(plan).success).toBe(true);
    for (const bad of [{ id: '../x' }, { id: 'a/b' }, { dir: '../x' }, { dir: '/etc' }, { dir: 'runs/../../x' }]) {
      expect(SweepPlanSchema.safeParse({ ...plan, runs: [{ ...run, ...bad }] }).success, JSON.stringify(bad)).toBe(
        false,
      );
    }
    expect(PlanRunsSchema.safeParse({ runs: [{ label: 'l', dir: '../../elsewhere' }] }).success).toBe(false);
  });

  it('keeps a run folder under --out whatever the config names the run', async () => {
    const root = await mkdtemp(join(tmpdir(), 'run-names-'));
    for (const name of ['..', '../../x', '/etc/passwd', '']) {
      const dir = await createRunDir(root, name, new Date('2026-11-28T12:00:00Z'));
      expect(dirname(dir)).toBe(root);
    }
    expect(await readdir(root)).toHaveLength(4);
  });
});
