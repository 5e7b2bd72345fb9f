/**
 * Sweeps across machines with a real redis-server (persistence on) and real processes: the
 * coordinator (`sweep --queue`) and each worker in a folder of its own, sharing no files, as
 * separate machines would. Each test makes its fault happen for real: kill -9, a Redis restart, a
 * run that cannot or should not train, an unreachable or wrongly authenticated Redis.
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeIdx } from '../../src/data/idx.js';
import { QUEUE_NAME, QUEUE_PREFIX } from '../../src/remote/job.js';
import { parseCsv } from '../../src/util/csv.js';
import { childExited } from '../../src/util/process.js';
import { runCli } from '../helpers/cli.js';
import { coordinatorFolder, startTestWorker, type TestWorker } from '../helpers/queue-worker.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

const PASSWORD = 'queue-pw-4242';
// Small runs that still take seconds, so a fault can come while one trains.
const SMALL = 'data.trainSize: 3000, data.testSize: 200, train.batchSize: 64, model.layers.1.units: 32';
// How soon a dead worker's job is taken back (BullMQ's lock; 30 s by default).
const FAST_LOCK = { MNIST_RUN_QUEUE_LOCK_MS: '2000' };

let root: string;
let redis: RedisHandle;
let workers: TestWorker[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'queue-e2e-'));
  redis = await startRedis({ password: PASSWORD });
});
afterEach(async () => {
  for (const w of workers) w.signal('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  const q = new Queue(QUEUE_NAME, { connection: { port: redis.port, password: PASSWORD }, prefix: QUEUE_PREFIX });
  await q.obliterate({ force: true });
  await q.close();
});
afterAll(async () => {
  await redis?.stop();
});

/** A coordinator's folder with its own copy of the config and a sweep file; returns its path. */
const coordinator = (name: string, body: string) => coordinatorFolder(root, name, body);

const sweep = (dir: string, name: string, extra: string[] = [], onSpawn?: (pid: number) => void) =>
  runCli(['sweep', `${name}.sweep.yaml`, '--queue', redis.url, '--code-version', 'e2e', ...extra], {
    cwd: dir,
    onSpawn,
  });

const worker = async (name: string, test: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const w = await startTestWorker(redis.url, join(root, test, name), name, ['--backend', 'cpu', ...args], env);
  workers.push(w);
  return w;
};

const index = async (dir: string, name: string) =>
  parseCsv(await readFile(join(dir, 'sweeps', name, 'index.csv'), 'utf8')).slice(1);

async function jobCounts() {
  const q = new Queue(QUEUE_NAME, { connection: { port: redis.port, password: PASSWORD }, prefix: QUEUE_PREFIX });
  const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  await q.close();
  return counts;
}

/** Every file under `dir`, for checks that something is nowhere in them. */
async function allText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return (await Promise.all(files.map((f) => readFile(f, 'latin1')))).join('\n');
}

const timed = async <T>(f: () => Promise<T>) => {
  const t = Date.now();
  const res = await f();
  return { res, ms: Date.now() - t };
};

const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('a sweep on a queue', () => {
  it('finishes on another worker the run of a worker killed with kill -9; each run lands once', async () => {
    const dir = await coordinator('killed', `set: { ${SMALL}, train.epochs: 3 }\ngrid:\n  seed: [1, 2, 3]\n`);
    const first = await worker('first', 'killed', [], FAST_LOCK);
    const going = sweep(dir, 'killed');
    const started = await first.waitFor((e) => e.event === 'child');
    first.signal('SIGKILL');
    await first.exited;
    const second = await worker('second', 'killed', [], FAST_LOCK);
    const res = await going;
    expect(res.code, res.stderr).toBe(0);
    const rows = await index(dir, 'killed');
    expect(rows.map((r) => r[3])).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(rows.map((r) => r[0])).size).toBe(3);
    // The killed worker's child saw its parent go (the pipe on its stdin) and stopped.
    await until('the killed worker’s run to stop', () => childExited(started.pid!), 30_000);
    expect(second.events.filter((e) => e.event === 'finished').map((e) => e.job)).toContain(started.job);
    const log = await readFile(join(dir, 'sweeps', 'killed', 'logs', `${started.job}.log`), 'utf8');
    expect(log).toMatch(/trained on second/);
    const byText = (a: string, b: string) => a.localeCompare(b);
    expect((await readdir(join(dir, 'sweeps', 'killed', 'runs'))).sort(byText)).toEqual(
      rows.map((r) => r[0]!).sort((a, b) => a.localeCompare(b)),
    );
    expect(await jobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
    // The password is in no file any side wrote, and in nothing the sweep printed.
    for (const d of [dir, second.cwd, first.cwd]) expect(await allText(d)).not.toContain(PASSWORD);
    expect(res.stderr + res.stdout + second.stderr()).not.toContain(PASSWORD);
  }, 300_000);

  it('stops waiting on Ctrl-C, leaves the queue working, and re-attaches without queuing twice', async () => {
    const dir = await coordinator('attach', `set: { ${SMALL}, train.epochs: 1 }\ngrid:\n  seed: [1, 2]\n`);
    let pid = 0;
    const going = sweep(dir, 'attach', [], (p) => (pid = p));
    await until('the runs to be queued', () => pid > 0, 10_000);
    const w = await worker('w', 'attach');
    await w.waitFor((e) => e.event === 'started');
    process.kill(pid, 'SIGINT');
    const stopped = await going;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain(
      'the queue keeps the other runs and the workers go on; run the same command again',
    );
    await w.waitFor((e) => e.event === 'finished' && e.job === w.events.find((x) => x.event === 'started')!.job);
    const again = await sweep(dir, 'attach');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /2 runs on the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(0 queued now, 2 there already\)/,
    );
    expect((await index(dir, 'attach')).map((r) => r[3])).toEqual(['completed', 'completed']);
    expect(w.events.filter((e) => e.event === 'started')).toHaveLength(2);
  }, 300_000);

  it('completes across a Redis restart: workers and the coordinator reconnect', async () => {
    const dir = await coordinator('restart', `set: { ${SMALL}, train.epochs: 2 }\ngrid:\n  seed: [1, 2, 3]\n`);
    const w = await worker('w', 'restart');
    const going = sweep(dir, 'restart');
    await w.waitFor((e) => e.event === 'started');
    await redis.restart();
    const res = await going;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/sweep: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ unreachable \(.*\); waiting for it/);
    expect(res.stderr).toMatch(/sweep: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is back/);
    expect(w.stderr()).toMatch(/unreachable; reconnecting[\s\S]*back/);
    const rows = await index(dir, 'restart');
    expect(rows.map((r) => r[3])).toEqual(['completed', 'completed', 'completed']);
    expect(await jobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  }, 300_000);
});

/** A small data set of 28×28 images that no worker has: its checksums are its own. */
async function ownData(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const images = (n: number) => Uint8Array.from({ length: n * 784 }, (_, i) => (i * 37) % 256);
  const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 10);
  await writeFile(join(dir, 'train-images-idx3-ubyte'), writeIdx([100, 28, 28], images(100)));
  await writeFile(join(dir, 'train-labels-idx1-ubyte'), writeIdx([100], labels(100)));
  await writeFile(join(dir, 't10k-images-idx3-ubyte'), writeIdx([20, 28, 28], images(20)));
  await writeFile(join(dir, 't10k-labels-idx1-ubyte'), writeIdx([20], labels(20)));
}

describe('runs that fail on a queue', () => {
  it('records a run’s own failure once, and retries a killed training process', async () => {
    const dir = await coordinator(
      'faults',
      `set: { ${SMALL}, train.epochs: 2 }
variants:
  plain: {}
  elsewhere: { data.path: own-data, data.trainSize: 100, data.testSize: 20 }
  exploding: # relu passes the huge weights on, and cross-entropy of what overflows is NaN
    model.layers.2.activation: relu
    model.layers.4.activation: relu
    loss: categoricalCrossentropy
    model.layers.1.kernelInitializer: { type: constant, value: 1.0e+30 }
    model.layers.3.kernelInitializer: { type: constant, value: 1.0e+30 }
  killed: { seed: 9 }
`,
    );
    await ownData(join(dir, 'own-data'));
    const w = await worker('w', 'faults');
    const going = sweep(dir, 'faults');
    // The fourth run's training process dies under the worker: the machinery failed, not the run.
    const victim = await Promise.race([
      w.waitFor((e) => e.event === 'started' && e.label === 'killed', 240_000),
      going.then((r) => Promise.reject(new Error(`the sweep ended first: ${r.stderr}`))),
    ]);
    const killed = await w.waitFor((e) => e.event === 'child' && e.job === victim.job);
    process.kill(killed.pid!, 'SIGKILL');
    const res = await going;
    expect(res.code, res.stderr).toBe(1);
    const rows = await index(dir, 'faults');
    expect(rows.map((r) => [r[1], r[3]])).toEqual([
      ['plain', 'completed'],
      ['elsewhere', 'failed'],
      ['exploding', 'diverged'],
      ['killed', 'completed'],
    ]);
    expect(rows[1]![9]).toMatch(
      /^no data folder this worker may read has the run's data .*start the worker with --data-root .* on w \(attempt 1 of 3\)$/,
    );
    const failures = w.events.filter((e) => e.event === 'failed');
    expect(failures.map((e) => [e.job, e.retry])).toEqual([
      [rows[1]![0], false],
      [killed.job, true],
    ]);
    expect(failures[1]!.error).toMatch(/the training process was killed/);
    expect(w.events.filter((e) => e.event === 'started' && e.job === killed.job).map((e) => e.attempt)).toEqual([1, 2]);
  }, 300_000);
});

describe('a queue that cannot be used', () => {
  it.each([
    [
      'nobody listens',
      () => 'redis://127.0.0.1:1',
      /^mnist-run: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connection refused/,
    ],
    [
      'the password is wrong',
      () => `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}`,
      /^mnist-run: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the password/,
    ],
    [
      'no password is given',
      () => `redis://127.0.0.1:${redis.port}`,
      /^mnist-run: Redis at redis:\/\/127\.0\.0\.1:\d+ wants a password/,
    ],
  ])(
    'says so in one line within seconds when %s, for sweeps and workers alike',
    async (_, url, why) => {
      const dir = await coordinator('unusable', `set: { ${SMALL} }\ngrid:\n  seed: [1]\n`);
      for (const args of [
        ['sweep', 'unusable.sweep.yaml', '--queue', url()],
        ['worker', '--queue', url()],
      ]) {
        // "Within seconds" counts from what the same command costs when it stops before connecting
        // (--queue given twice), so a machine slow to start Node does not read as a slow answer.
        const before = await timed(() => runCli([...args, '--queue', 'x'], { cwd: dir }));
        expect(before.res.code).toBe(1);
        const { res, ms } = await timed(() => runCli(args, { cwd: dir }));
        expect(res.code, res.stderr).toBe(1);
        expect(res.stderr).toMatch(why);
        expect(res.stderr.trim().split('\n')).toHaveLength(1);
        expect(res.stderr).not.toContain(PASSWORD);
        expect(ms - before.ms).toBeLessThan(10_000);
      }
    },
    120_000,
  );
});

describe('a worker started wrongly', () => {
  const url = () => redis.url;
  it.each([
    [
      () => ['--queue', url(), '--concurrency', '0'],
      {},
      /^mnist-run: --concurrency: expected a whole number from 1 to 256, received 0; /,
    ],
    [
      () => ['--queue', url()],
      { MNIST_RUN_QUEUE_LOCK_MS: '5' },
      /^mnist-run: MNIST_RUN_QUEUE_LOCK_MS=5: expected milliseconds from 1000/,
    ],
    [
      () => ['--queue', 'localhost:6379'],
      {},
      /^mnist-run: --queue localhost:6379: no scheme: write redis:\/\/localhost:6379/,
    ],
    [
      () => ['--queue', url(), '--queue', 'x'],
      {},
      /^mnist-run: --queue was given 2 times \(redis:\/\/:\*\*\*@127.*, x\): give it once\n/,
    ],
  ])('says what to fix before it connects (case %#)', async (args, env, why) => {
    const res = await runCli(['worker', ...args()], { cwd: root, env });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(why);
    expect(res.stderr).not.toContain(PASSWORD);
  });
});

describe('a worker whose Redis is gone', () => {
  it('still stops on SIGTERM, within seconds, saying so', async () => {
    const own = await startRedis();
    const w = await startTestWorker(own.url, join(root, 'gone', 'w'), 'w', ['--backend', 'cpu']);
    try {
      await own.stop();
      const t = Date.now();
      w.signal('SIGTERM');
      expect(await w.exited).toBe(0);
      expect(Date.now() - t).toBeLessThan(20_000);
      expect(w.events.map((e) => e.event).slice(-2)).toEqual(['stopping', 'stopped']);
      expect(w.stderr()).toContain('did not answer; stopping without it');
    } finally {
      w.signal('SIGKILL');
    }
  }, 60_000);
});
