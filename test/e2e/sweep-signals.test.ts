import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunMeta } from '../../src/run/format.js';
import { parseCsv } from '../../src/util/csv.js';
import { childExited } from '../../src/util/process.js';
import { runCli } from '../helpers/cli.js';

const ANN = join(import.meta.dirname, '..', '..', 'configs', 'ann.yaml');
// A small network on a few thousand images: each batch is quick, so a run stops soon after a
// signal, yet its epochs take seconds, so a run is mid-training when the signal comes.
const SMALL =
  'data.trainSize: 2000, data.testSize: 100, train.batchSize: 32, model.layers.1.units: 16, model.layers.3.units: 8';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sweep-signals-'));
});

async function sweepFile(name: string, epochs: number, seeds: number[]) {
  await writeFile(
    join(root, `${name}.sweep.yaml`),
    `base: ${relative(root, ANN)}\nset: { ${SMALL}, train.epochs: ${epochs} }\ngrid:\n  seed: [${seeds.join(', ')}]\n`,
  );
  return ['sweep', `${name}.sweep.yaml`, '--parallel', '2', '--backend', 'cpu', '--code-version', 'e2e'];
}

const folder = (name: string) => join(root, 'sweeps', name);
const index = async (name: string) =>
  parseCsv(await readFile(join(folder(name), 'index.csv'), 'utf8').catch(() => 'h\n')).slice(1);
const meta = async (name: string, dir: string) =>
  JSON.parse(await readFile(join(folder(name), dir, 'meta.json'), 'utf8')) as RunMeta;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

/** The run folders of every run, once each has written meta.json: training has started. */
const training = (name: string, count: number) =>
  until(`${count} runs training`, async () => {
    const dirs = (await index(name)).filter((r) => r[3] === 'running').map((r) => r[8]!);
    if (dirs.length < count) return undefined;
    const metas = await Promise.all(dirs.map((d) => meta(name, d)));
    return metas.every((m) => m.status === 'running') ? dirs : undefined;
  });

const gone = (pid: number) => until(`process ${pid} to end`, async () => childExited(pid) || undefined, 30_000);

describe('a sweep and its runs under signals', () => {
  it('SIGTERM stops every run, records them interrupted, releases the lock and leaves no process', async () => {
    const args = await sweepFile('term', 50, [1, 2]);
    let pid = 0;
    const going = runCli(args, { cwd: root, onSpawn: (p) => (pid = p) });
    const dirs = await training('term', 2);
    const pids = await Promise.all(dirs.map(async (d) => (await meta('term', d)).pid!));
    process.kill(pid, 'SIGTERM');
    const res = await going;
    expect(res.code, res.stderr).toBe(143);
    expect(res.stderr).toContain('mnist-run: sweep interrupted: 0 of 2 runs finished; run the same command again');
    expect((await index('term')).map((r) => [r[3], r[9]])).toEqual([
      ['interrupted', 'training interrupted'],
      ['interrupted', 'training interrupted'],
    ]);
    for (const d of dirs)
      expect(await meta('term', d)).toMatchObject({ status: 'interrupted', end: expect.any(String) });
    expect(await readdir(folder('term'))).not.toContain('.lock');
    expect(pids.map(childExited)).toEqual([true, true]);
  }, 240_000);

  it('a second SIGTERM ends it at once, and still every status is true and no run is left', async () => {
    const args = await sweepFile('twice', 50, [1, 2]);
    let pid = 0;
    let heard = false;
    const going = runCli(args, {
      cwd: root,
      onSpawn: (p) => (pid = p),
      // The second as soon as the sweep has taken the first, while its runs are still stopping.
      onStderr: (s) => {
        if (!heard && s.includes('SIGTERM: stopping after the current batch')) {
          heard = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    });
    const dirs = await training('twice', 2);
    const pids = await Promise.all(dirs.map(async (d) => (await meta('twice', d)).pid!));
    process.kill(pid, 'SIGTERM');
    const res = await going;
    expect(res.code, res.stderr).toBe(143);
    expect(res.stderr).toContain('sweep: stopping at once: SIGTERM passed on to 2 running run(s)');
    expect(res.stderr).not.toContain('sweep interrupted');
    expect((await index('twice')).map((r) => r[3])).toEqual(['interrupted', 'interrupted']);
    for (const d of dirs) expect((await meta('twice', d)).status).toBe('interrupted');
    expect(await readdir(folder('twice'))).not.toContain('.lock');
    expect(pids.map(childExited)).toEqual([true, true]);
  }, 240_000);

  it('kill -9 of the sweep stops its run within seconds, and the next sweep sets it aside and finishes', async () => {
    const args = await sweepFile('killed', 3, [1]);
    let pid = 0;
    const going = runCli(args, { cwd: root, onSpawn: (p) => (pid = p) });
    const [dir] = await training('killed', 1);
    const child = (await meta('killed', dir!)).pid!;
    process.kill(pid, 'SIGKILL');
    expect((await going).code).toBe(null);
    await gone(child);
    const stopped = await meta('killed', dir!);
    expect(stopped.status).toBe('interrupted');
    expect(stopped.error).toBe(
      `the sweep that started this run (process ${pid}) is gone; stopped after the batch it was training`,
    );
    expect(await readdir(folder('killed'))).toContain('.lock'); // left by the killed sweep: stale

    const again = await runCli(args, { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect((await index('killed')).map((r) => r[3])).toEqual(['completed']);
    const [aside] = await readdir(join(folder('killed'), 'previous'));
    expect(await meta('killed', join('previous', aside!))).toMatchObject({ status: 'interrupted', pid: child });
    expect(await readdir(folder('killed'))).not.toContain('.lock');
  }, 240_000);

  it('the next sweep resumes a stopped run from its checkpoint instead of training it again', async () => {
    const args = await sweepFile('resumes', 4, [1]);
    let pid = 0;
    const going = runCli(args, { cwd: root, onSpawn: (p) => (pid = p) });
    const [dir] = await training('resumes', 1);
    const runDir = join(folder('resumes'), dir!);
    await until('the first checkpoint', async () => (await readdir(runDir)).includes('checkpoint.bin') || undefined);
    process.kill(pid, 'SIGTERM');
    expect((await going).code).toBe(143);
    const trained = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').length;

    const again = await runCli(args, { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/sweep: resume \w+ seed=1 from its checkpoint/);
    expect((await index('resumes')).map((r) => r[3])).toEqual(['completed']);
    const done = await meta('resumes', dir!);
    expect(done.resumed).toEqual([expect.objectContaining({ fromEpoch: trained })]);
    expect(await readdir(folder('resumes'))).not.toContain('previous'); // nothing set aside: nothing retrained
  }, 240_000);

  it('of two sweeps of one folder started at the same instant, one refuses and names the other', async () => {
    const args = await sweepFile('race', 50, [1]);
    const pids: number[] = [];
    const both = [0, 1].map((i) => runCli(args, { cwd: root, onSpawn: (p) => (pids[i] = p) }));
    const first = await Promise.race(both.map((p, i) => p.then((r) => ({ ...r, i }))));
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toBe(
      `mnist-run: sweep folder ${folder('race')} is in use by process ${pids[1 - first.i]}; wait for it, or stop it with Ctrl-C, then run again\n`,
    );
    await training('race', 1);
    process.kill(pids[1 - first.i]!, 'SIGTERM');
    expect((await both[1 - first.i]!).code).toBe(143);
  }, 240_000);
});
