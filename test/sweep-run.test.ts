import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childArgs, startChild, threadsPerRun } from '../src/sweep/child.js';
import type { SweepPlan } from '../src/sweep/format.js';
import { INDEX_HEADER, indexCsv } from '../src/sweep/index-file.js';
import { runQueue, type Started } from '../src/sweep/queue.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import { parseCsv } from '../src/util/csv.js';

/**
 * Stands in for `mnist-run FILE --run-dir DIR`: writes meta.json as the trainer does, sleeps
 * `sleep` ms, fails when told, and on SIGINT marks the run interrupted and exits 130.
 */
const FAKE_TRAINER = `
const fs = require('node:fs'); const path = require('node:path');
const a = process.argv.slice(2); const dir = a[a.indexOf('--run-dir') + 1];
const sets = Object.fromEntries(a.flatMap((x, i) => a[i - 1] === '--set' ? [x.split('=')] : []));
fs.mkdirSync(dir, { recursive: true });
fs.appendFileSync(path.join(dir, '..', '..', 'starts.txt'), sets.name + ' threads=' + process.env.MNIST_RUN_THREADS + '\\n');
const meta = (status, error) => fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ status, error }));
if (sets.bad) { process.stderr.write('mnist-run: --set bad=1: no such key\\n'); process.exit(1); }
meta('running');
process.on('SIGINT', () => { meta('interrupted', 'training interrupted'); process.exit(130); });
setTimeout(() => {
  if (sets.fail) { meta('failed', 'ENOSPC: no space left on device, write history.csv'); process.exit(1); }
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ testAccuracy: 0.5, testLoss: 1.5, epochsRun: 1, trainSeconds: 0.25 }));
  meta('completed'); process.exit(0);
}, Number(sets.sleep));
`;

let root: string;
let trainer: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sweep-run-'));
  trainer = join(root, 'fake-trainer.cjs');
  await writeFile(trainer, FAKE_TRAINER);
  await writeFile(join(root, 'x.sweep.yaml'), 'base: base.yaml\n');
});

const plan = (runs: [string, string[]][]): SweepPlan => ({
  name: 'x',
  sweepFile: join(root, 'x.sweep.yaml'),
  baseConfig: join(root, 'base.yaml'),
  codeVersion: 't',
  duplicates: [],
  runs: runs.map(([id, sets]) => ({ id, label: id, overrides: [`name=${id}`, ...sets], dir: `runs/${id}` })),
});

const sink = { write: () => true } as unknown as NodeJS.WritableStream;
const index = async (dir: string) => parseCsv(await readFile(join(dir, 'index.csv'), 'utf8')).slice(1);
const starts = async (dir: string) =>
  (await readFile(join(dir, 'starts.txt'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

describe('runQueue', () => {
  it('never runs more than N at once and asks each running job to stop once on Ctrl-C', async () => {
    let live = 0;
    let peak = 0;
    let stop = false;
    const asked: number[] = [];
    const finished: [number, number | null][] = [];
    const start = async (job: number): Promise<Started> => {
      live++;
      peak = Math.max(peak, live);
      let resolve!: (c: number | null) => void;
      const done = new Promise<number | null>((r) => {
        resolve = r;
      });
      if (job < 2) {
        setTimeout(() => {
          live--;
          resolve(0);
        }, 5);
      }
      const interrupt = () => {
        asked.push(job);
        live--;
        resolve(130);
        stop = true;
      };
      return { done, interrupt };
    };
    setTimeout(() => (stop = true), 60);
    const res = await runQueue([0, 1, 2, 3, 4, 5], {
      parallel: 2,
      start,
      interrupted: () => stop,
      finished: async (j, c) => void finished.push([j, c]),
      pollMs: 5,
    });
    expect(res).toEqual({ stopped: true });
    expect(peak).toBe(2);
    expect(asked).toEqual([2, 3]);
    expect(finished).toEqual([
      [0, 0],
      [1, 0],
      [2, 130],
      [3, 130],
    ]);
  });
});

describe('child processes', () => {
  it.each([
    [1, 16, 16],
    [2, 16, 8],
    [3, 16, 5],
    [4, 2, 1],
    [8, 2, 1],
  ])('gives each of %i runs on %i cores %i threads', (n, cores, threads) => {
    expect(threadsPerRun(n, cores)).toBe(threads);
  });
  it('runs the CLI on the base config with its overrides into the run folder, as JSON', () => {
    expect(
      childArgs({
        baseConfig: 'b.yaml',
        overrides: ['a=1', 'o={ type: sgd }'],
        runDir: 'd',
        backend: 'cpu',
        threads: 2,
        logFile: 'l',
        cliEntry: 'main.js',
      }),
    ).toEqual([
      'main.js',
      'b.yaml',
      '--set',
      'a=1',
      '--set',
      'o={ type: sgd }',
      '--backend',
      'cpu',
      '--run-dir',
      'd',
      '--stop-with-parent',
      '--json',
    ]);
  });
});

describe('runSweep', () => {
  const options = (dir: string, p: SweepPlan, interrupted = () => false) => ({
    plan: p,
    dir,
    parallel: 2,
    threads: 3,
    backend: 'cpu',
    start: startChild,
    stderr: sink,
    now: () => new Date('2026-11-28T12:00:00Z'),
    interrupted,
    cliEntry: trainer,
  });
  const go = (dir: string, p: SweepPlan, interrupted = () => false) => runSweep(options(dir, p, interrupted));

  it('records failed runs with their error and goes on', async () => {
    const dir = join(root, 'fails');
    const res = await go(
      dir,
      plan([
        ['ok', ['sleep=10']],
        ['crash', ['sleep=10', 'fail=1']],
        ['bad', ['bad=1']],
      ]),
    );
    expect(res.rows.map((r) => [r.id, r.status, r.error])).toEqual([
      ['ok', 'completed', undefined],
      ['crash', 'failed', 'ENOSPC: no space left on device, write history.csv'],
      ['bad', 'failed', '--set bad=1: no such key'],
    ]);
    expect((await readFile(join(dir, 'index.csv'), 'utf8')).split('\n')[0]).toBe(INDEX_HEADER.join(','));
    expect((await starts(dir)).every((l) => l.endsWith('threads=3'))).toBe(true);
    expect(await readFile(join(dir, 'sweep.yaml'), 'utf8')).toBe('base: base.yaml\n');
    expect(JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')).runs).toHaveLength(3);
  });

  it('stops on Ctrl-C with running runs interrupted, and a re-run trains only the unfinished ones', async () => {
    const dir = join(root, 'resume');
    const p = plan([
      ['a', ['sleep=10']],
      ['b', ['sleep=10']],
      ['c', ['sleep=30000']],
      ['d', ['sleep=30000']],
      ['e', ['sleep=10']],
    ]);
    let stop = false;
    const first = go(dir, p, () => stop);
    while ((await starts(dir)).length < 4) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    const res = await first;
    expect(res.stopped).toBe(true);
    expect(res.rows.map((r) => r.status)).toEqual(['completed', 'completed', 'interrupted', 'interrupted', 'pending']);
    expect((await index(dir)).map((r) => r[3])).toEqual([
      'completed',
      'completed',
      'interrupted',
      'interrupted',
      'pending',
    ]);

    const fast = plan([
      ['a', ['sleep=10']],
      ['b', ['sleep=10']],
      ['c', ['sleep=10']],
      ['d', ['sleep=10']],
      ['e', ['sleep=10']],
    ]);
    for (const [i, r] of fast.runs.entries()) {
      r.overrides = p.runs[i]!.overrides.map((o) => o.replace(/sleep=\d+/, 'sleep=10'));
    }
    const again = await go(dir, fast);
    expect(again.skipped).toBe(2);
    expect(again.rows.every((r) => r.status === 'completed')).toBe(true);
    expect(
      (await starts(dir))
        .slice(4)
        .map((l) => l.split(' ')[0])
        .sort(),
    ).toEqual(['c', 'd', 'e']);
    expect((await readdir(join(dir, 'previous'))).sort()).toEqual(['c_2026-11-28T12-00-00Z', 'd_2026-11-28T12-00-00Z']);
  });

  it.each([
    ['warn', [/^sweep: \[2\/2\] failed crash crash ENOSPC.*; its log: logs\/crash\.log$/]],
    ['info', [/^sweep: start ok ok$/, /^sweep: start crash crash$/, /^sweep: \[\d\/2\] completed ok ok acc=0\.5000/]],
    [
      'debug',
      [
        /^sweep: ok: mnist-run .*base\.yaml --set name=ok --set sleep=10 .*\(3 threads, stderr in .*ok\.log\)$/,
        /^sweep: ok: exit 0 after \d+\.\d s wall$/,
      ],
    ],
  ] as const)("at terminal level %s the sweep's own lines are those of that level and above", async (level, shown) => {
    let text = '';
    const stderr = { write: (s: string) => (text += s) } as unknown as NodeJS.WritableStream;
    const p = plan([
      ['ok', ['sleep=10']],
      ['crash', ['sleep=300', 'fail=1']],
    ]);
    await runSweep({ ...options(join(root, `level-${level}`), p), stderr, level });
    const lines = text.trimEnd().split('\n');
    for (const re of shown)
      expect(
        lines.some((l) => re.test(l)),
        `${re} in:\n${text}`,
      ).toBe(true);
    if (level === 'warn') expect(lines).toHaveLength(1); // --quiet: only the run that did not complete
    if (level !== 'debug') expect(text).not.toMatch(/exit \d/);
  });

  it('refuses a sweep folder another live sweep holds', async () => {
    const dir = join(root, 'locked');
    await go(dir, plan([]));
    await writeFile(join(dir, '.lock'), String(process.ppid));
    await expect(go(dir, plan([]))).rejects.toThrow(
      `sweep folder ${dir} is in use by process ${process.ppid}; wait for it, or stop it with Ctrl-C, then run again`,
    );
  });
});

describe('index.csv', () => {
  it('quotes what needs quoting and leaves unknown results empty', () => {
    expect(
      indexCsv([
        {
          id: 'i',
          label: 'a=1 b=x',
          overrides: ['o={ type: sgd, learningRate: 0.1 }'],
          status: 'failed',
          dir: 'runs/i',
          error: 'say "no"',
        },
      ]),
    ).toBe(
      'id,label,overrides,status,test_accuracy,test_loss,epochs,seconds,run_dir,error\ni,a=1 b=x,"o={ type: sgd, learningRate: 0.1 }",failed,,,,,runs/i,"say ""no"""\n',
    );
  });
});
