import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/util/csv.js';
import { runCli } from '../helpers/cli.js';

const ANN = join(import.meta.dirname, '..', '..', 'configs', 'ann.yaml');
let root: string;
let sweep: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sweep-e2e-'));
  sweep = join(root, 'tiny.sweep.yaml');
  await writeFile(
    sweep,
    [
      `base: ${relative(root, ANN)}`,
      'set: { data.trainSize: 200, data.testSize: 100, train.epochs: 1 }',
      'grid:',
      '  model.layers.1.units: [16, 32, 64, 128]',
      '',
    ].join('\n'),
  );
});

const index = async () => parseCsv(await readFile(join(root, 'sweeps', 'tiny', 'index.csv'), 'utf8')).slice(1);
const metaStart = async (row: string[]) =>
  JSON.parse(await readFile(join(root, 'sweeps', 'tiny', row[8]!, 'meta.json'), 'utf8')).start as string;
// Pinned, so commits landing while the test runs do not rename the runs between the two passes.
const args = ['sweep', 'tiny.sweep.yaml', '--parallel', '2', '--code-version', 'e2e', '--backend', 'cpu'];

describe('mnist-run sweep on real training', () => {
  it('--dry-run plans and estimates without training', async () => {
    // The estimate's arithmetic and format are unit-tested with an injected speed
    // (test/sweep-dry-run.test.ts); here only the command's wiring, on one architecture.
    await writeFile(
      join(root, 'one.sweep.yaml'),
      `base: ${relative(root, ANN)}\nset: { model.layers.1.units: 16, model.layers.3.units: 8 }\ngrid:\n  seed: [1, 2]\n`,
    );
    const res = await runCli(['sweep', 'one.sweep.yaml', '--dry-run', '--backend', 'cpu'], { cwd: root });
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^one: 2 runs from /);
    expect(res.stdout).toMatch(/ 12,786 .* seed=2$/m); // (784·16+16) + (16·8+8) + (8·10+10)
    expect(res.stdout).toMatch(/estimated total: \d+(s|m \d\ds) with --parallel 1/);
    expect(res.stdout).toMatch(/calibration: 1 architecture\(s\) timed/);
    await expect(readdir(join(root, 'sweeps'))).rejects.toThrow(/ENOENT/); // trained nothing, wrote nothing
  });

  it('stops on Ctrl-C, then a re-run trains only the unfinished runs', async () => {
    let pid = 0;
    const first = runCli(args, { cwd: root, onSpawn: (p) => (pid = p) });
    const until = Date.now() + 120_000;
    while (!(await index().catch(() => [])).some((r) => r[3] === 'completed') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 25));
    process.kill(pid, 'SIGINT');
    const stopped = await first;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(
      /mnist-run: sweep interrupted: \d of 4 runs finished; run the same command again to resume/,
    );
    const before = await index();
    const done = before.filter((r) => r[3] === 'completed');
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(done.length).toBeLessThan(4);
    expect(before.every((r) => ['completed', 'interrupted', 'pending'].includes(r[3]!))).toBe(true);
    const starts = await Promise.all(done.map(metaStart));

    const again = await runCli(args, { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`sweep: ${done.length} of 4 runs already finished, skipped`);
    const after = await index();
    expect(after.map((r) => r[3])).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(await Promise.all(done.map(metaStart))).toEqual(starts); // finished runs were not trained again
    // An interrupted run's folder is kept aside; one stopped before it made its folder has none.
    const interrupted = before.filter((r) => r[3] === 'interrupted').map((r) => r[0]);
    const aside = (await readdir(join(root, 'sweeps', 'tiny', 'previous')).catch(() => [])).map((d) => d.split('_')[0]);
    expect(aside.every((id) => interrupted.includes(id))).toBe(true);
    const logs = await Promise.all(
      interrupted.map((id) => readFile(join(root, 'sweeps', 'tiny', 'logs', `${id}.log`), 'utf8')),
    );
    expect(logs.every((l) => l.match(/^--- \d{4}-/gm)?.length === 2)).toBe(true); // both attempts' logs kept
  }, 300_000);

  it('--quiet: a re-run with every run finished says only the result, on stdout', async () => {
    const res = await runCli([...args, '--quiet'], { cwd: root });
    expect([res.code, res.stderr]).toEqual([0, '']);
    expect(res.stdout).toMatch(/tiny\n4 of 4 runs completed \(4 skipped as already finished\)\n$/);
  });

  it('compares the sweep by the key it varies and reports it with mistakes drawn', async () => {
    const cmp = await runCli(['compare', 'sweeps/tiny', '--format', 'csv', '--sort', 'model.layers.1.units'], {
      cwd: root,
    });
    expect(cmp.code, cmp.stderr).toBe(0);
    const rows = parseCsv(cmp.stdout);
    // Results first; the varied key folds into the `model` column, and csv keeps it raw too.
    expect(rows[0]!.slice(0, 3)).toEqual(['run', 'status', 'test_accuracy']);
    const units = rows[0]!.indexOf('model.layers.1.units');
    expect(rows.slice(1).map((r) => r[units])).toEqual(['16', '32', '64', '128']);
    const model = rows[0]!.indexOf('model');
    expect(model).toBeLessThan(units);
    expect(rows.slice(1).map((r) => r[model])).toEqual(expect.arrayContaining([expect.stringContaining('16')]));
    const rep = await runCli(['report', 'sweeps/tiny', '-o', 'r.html'], { cwd: root });
    expect(rep.stderr).toBe('');
    expect(rep.code).toBe(0);
    const html = await readFile(join(root, 'r.html'), 'utf8');
    expect(html.match(/<img class="digit"/g)?.length).toBeGreaterThanOrEqual(4 * 6);
    expect(html).not.toMatch(/src="http|<script src|<link /);
  }, 120_000);
});
