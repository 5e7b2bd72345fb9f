import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { cfg, fakeRun } from '../helpers/fake-run.js';
import { writeNoTfjsGuard } from '../helpers/no-tfjs.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'compare-cli-'));
  await fakeRun(join(root, 'runs', 'a1'), cfg('relu', 1), 0.9);
  await fakeRun(join(root, 'runs', 'a2'), cfg('relu', 2), 0.92);
  await fakeRun(join(root, 'runs', 'b1'), cfg('tanh', 1), 0.8);
  await fakeRun(join(root, 'runs', 'c1'), cfg('tanh', 1, 0.1), undefined, { status: 'failed', skip: ['summary.json'] });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('the compare command', () => {
  const preload = () => writeNoTfjsGuard(root);

  it('never loads tfjs, and the guard does catch a module that does', async () => {
    const guard = await preload();
    const res = spawnSync(process.execPath, ['--require', guard, CLI, 'compare', 'runs', '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toHaveLength(3); // a1 and a2 differ only by seed: one row
    const control = spawnSync(
      process.execPath,
      ['--require', guard, '--input-type=module', '-e', "await import('@tensorflow/tfjs')"],
      { cwd: join(CLI, '..'), encoding: 'utf8' },
    );
    expect(control.status).not.toBe(0);
    expect(control.stderr).toMatch(/tfjs loaded: @tensorflow\/tfjs/);
  });
});
