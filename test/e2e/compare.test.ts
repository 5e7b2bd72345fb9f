import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
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

  it('fits the table to COLUMNS, results first, and says which columns it left out', async () => {
    const res = await runCli(['compare', 'runs', '--sort', 'run'], { cwd: root, env: { COLUMNS: '60' } });
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(lines[0]).toMatch(/^run +status +test_accuracy/);
    expect(lines.at(-1)).toMatch(/^2 columns left out to fit 60 characters \(optimizer, model\)/);
  });

  it('keeps runs by comparison and writes the run folder in csv', async () => {
    const res = await runCli(
      ['compare', 'runs', '--filter', 'test_accuracy>=0.85', '--format', 'csv', '--no-collapse'],
      {
        cwd: root,
        env: { COLUMNS: '40' },
      },
    );
    expect(res.stderr).toBe('');
    const rows = res.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(3); // a1 and a2; b1 has 0.8
    expect(rows[0]!.split(',').at(-1)).toBe('dir');
    expect(rows[1]).toMatch(/,runs\/a1$/);
  });

  it.each([
    [['--columns', 'run,tset_accuracy'], /--columns tset_accuracy: no such column \(did you mean test_accuracy\?\)/],
    [['--filter', 'test_accuracy>>1'], /--filter test_accuracy>>1: > compares numbers, received ">1"/],
  ])('refuses %j with a usage error and no stack', async (args, message) => {
    const res = await runCli(['compare', 'runs', ...args], { cwd: root });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
