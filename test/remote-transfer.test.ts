import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteUpload,
  downloadFolder,
  MAX_FILES,
  type Manifest,
  pathProblem,
  TransferError,
  uploadFolder,
} from '../src/remote/transfer.js';
import { type RedisHandle, startRedis } from './helpers/redis-server.js';

const MiB = 1024 ** 2;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: RedisHandle;
let redis: Redis;
let root: string;
/** The run folder a worker would send back; `link` is a symlink, which must not travel. */
let src: string;
const contents: Record<string, Buffer> = {
  'run/model/weights.bin': randomBytes(9 * MiB),
  'run/meta.json': Buffer.from(`${JSON.stringify({ name: 'cnn', status: 'done' }, null, 2)}\n`),
  'run/empty.txt': Buffer.alloc(0),
  'worker.log': Buffer.from('epoch 1 loss 0.9\nepoch 2 loss 0.5\n'),
};
let counter = 0;
/** A fresh path under root that does not exist yet, and the empty folder that holds it. */
async function freshTarget(): Promise<{ parent: string; target: string }> {
  const parent = join(root, `out-${counter++}`);
  await mkdir(parent);
  return { parent, target: join(parent, 'target') };
}

async function writeTree(dir: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), data);
  }
}

/** Every regular file under dir, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function chunkKeys(key: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `mnist-run:files:${key}:*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.sort((a, b) => (a < b ? -1 : 1));
}

beforeAll(async () => {
  // With a password: the workers' Redis will have one, and the URL must carry it.
  server = await startRedis({ password: 's3cret' });
  redis = new Redis(server.url);
  root = await mkdtemp(join(tmpdir(), 'mnist-run-transfer-'));
  src = join(root, 'src');
  await writeTree(src, contents);
  await symlink('/etc/passwd', join(src, 'run', 'link'));
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('uploadFolder and downloadFolder', () => {
  it('bring every regular file back byte for byte, the 9 MiB one in several chunks, no symlink', async () => {
    const manifest = await uploadFolder(redis, src, 'round-trip');
    expect(manifest.files.map((f) => f.path)).toEqual([
      'run/empty.txt',
      'run/meta.json',
      'run/model/weights.bin',
      'worker.log',
    ]);
    const weights = manifest.files.find((f) => f.path === 'run/model/weights.bin')!;
    expect(weights).toMatchObject({ bytes: 9 * MiB, sha256: sha(contents['run/model/weights.bin']!), chunks: 3 });
    const { target } = await freshTarget();
    const result = await downloadFolder(redis, JSON.parse(JSON.stringify(manifest)), target);
    const total = Object.values(contents).reduce((sum, b) => sum + b.length, 0);
    expect(result).toEqual({ files: 4, bytes: total, gzipBytes: manifest.gzipBytes });
    expect(await tree(target)).toEqual(Object.keys(contents).sort((a, b) => (a < b ? -1 : 1)));
    for (const [rel, want] of Object.entries(contents)) {
      const got = await readFile(join(target, rel));
      expect([rel, got.length, sha(got)]).toEqual([rel, want.length, sha(want)]);
    }
    expect(await readFile(join(target, 'worker.log'), 'utf8')).toBe('epoch 1 loss 0.9\nepoch 2 loss 0.5\n');
  });

  it('cut each gzip stream into chunks of chunkBytes, the last one shorter', async () => {
    const dir = join(root, 'small');
    const data = randomBytes(10_000);
    await writeTree(dir, { 'data.bin': data });
    const manifest = await uploadFolder(redis, dir, 'small-chunks', { chunkBytes: 1000 });
    const chunks = manifest.files[0]!.chunks;
    expect(chunks).toBe(Math.ceil(manifest.gzipBytes / 1000));
    expect(chunks).toBeGreaterThan(10);
    const lengths = await Promise.all(
      Array.from({ length: chunks }, (_, c) => redis.strlen(`mnist-run:files:small-chunks:0:${c}`)),
    );
    expect(lengths.slice(0, -1).every((n) => n === 1000)).toBe(true);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(manifest.gzipBytes);
    const { target } = await freshTarget();
    await downloadFolder(redis, manifest, target);
    expect((await readFile(join(target, 'data.bin'))).equals(data)).toBe(true);
  });

  it('leave out the files skip() names', async () => {
    const manifest = await uploadFolder(redis, src, 'skipped', {
      skip: (rel) => rel === 'worker.log' || rel.startsWith('run/model/'),
    });
    expect(manifest.files.map((f) => f.path)).toEqual(['run/empty.txt', 'run/meta.json']);
    const { target } = await freshTarget();
    await downloadFolder(redis, manifest, target);
    expect(await tree(target)).toEqual(['run/empty.txt', 'run/meta.json']);
  });

  it.each([
    ['the default of 30 days', undefined, 30 * 24 * 3600],
    ['ttlSeconds', 60, 60],
  ])('set a TTL on every chunk: %s', async (_, ttlSeconds, seconds) => {
    const key = `ttl-${seconds}`;
    await uploadFolder(redis, src, key, { ttlSeconds, skip: (rel) => rel.endsWith('.bin') });
    const keys = await chunkKeys(key);
    expect(keys).toEqual([0, 1, 2].map((i) => `mnist-run:files:${key}:${i}:0`));
    for (const k of keys) {
      const pttl = await redis.pttl(k);
      expect(pttl).toBeGreaterThan(seconds * 1000 - 60_000);
      expect(pttl).toBeLessThanOrEqual(seconds * 1000);
    }
  });

  it('deleteUpload removes every chunk of its upload and none of another', async () => {
    const manifest = await uploadFolder(redis, src, 'to-delete', { chunkBytes: 100_000 });
    await uploadFolder(redis, src, 'to-keep');
    const all = manifest.files.reduce((sum, f) => sum + f.chunks, 0);
    expect((await chunkKeys('to-delete')).length).toBe(all);
    await deleteUpload(redis, manifest);
    expect(await chunkKeys('to-delete')).toEqual([]);
    expect((await chunkKeys('to-keep')).length).toBe(6); // 3 for weights.bin, 1 each for the others
  });

  it('a retried upload under the same key replaces a longer earlier one', async () => {
    const dir = join(root, 'retry');
    await writeTree(dir, { 'a.bin': randomBytes(5000) });
    await uploadFolder(redis, dir, 'retried', { chunkBytes: 1000 });
    await writeTree(dir, { 'a.bin': Buffer.from('short now') });
    const manifest = await uploadFolder(redis, dir, 'retried', { chunkBytes: 1000 });
    const { target } = await freshTarget();
    await downloadFolder(redis, manifest, target);
    expect(await readFile(join(target, 'a.bin'), 'utf8')).toBe('short now');
  });

  it('download refuses a target that already exists and leaves it as it was', async () => {
    const manifest = await uploadFolder(redis, src, 'exists', { skip: (rel) => rel.endsWith('.bin') });
    const { target } = await freshTarget();
    await writeTree(target, { 'mine.txt': 'keep me' });
    await expect(downloadFolder(redis, manifest, target)).rejects.toThrow(/already exists/);
    expect(await tree(target)).toEqual(['mine.txt']);
  });

  it.each([
    ['a path that is not plain', { '.hidden': 'x' }, 'bad-path', /cannot upload "\.hidden": the path has segment/],
    ['a path of 4 segments', { 'a/b/c/d': 'x' }, 'deep', /cannot upload "a\/b\/c\/d": the path has 4 segments/],
    [
      'more than MAX_FILES files',
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, 'x'])),
      'many',
      /holds 65 files, more than 64/,
    ],
    ['a bad key', { 'a.txt': 'x' }, 'a:b', /bad upload key "a:b"/],
  ])('upload refuses %s and puts nothing in Redis', async (_, files, key, message) => {
    const dir = join(root, `upload-${counter++}`);
    await writeTree(dir, files);
    const err = await uploadFolder(redis, dir, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as Error).message).toMatch(message);
    expect(await chunkKeys(key)).toEqual([]);
  });
});

/** A hostile or broken manifest, made from a real upload of `a.txt` ("hello") and `dir/b.txt`. */
type Case = [string, (m: Manifest, key: string) => unknown | Promise<unknown>, RegExp];
const entry = (m: Manifest, path: string) => ({ ...m.files[0]!, path });
const withPaths = (m: Manifest, ...paths: string[]) => ({ ...m, files: paths.map((p) => entry(m, p)) });
const hostile: Case[] = [
  ['a "../evil" path', (m) => withPaths(m, '../evil'), /files\[0\]\.path: "\.\.\/evil" has a "\.\." segment/],
  ['an absolute path', (m) => withPaths(m, '/etc/passwd'), /"\/etc\/passwd" is absolute/],
  ['a path that climbs out', (m) => withPaths(m, 'a/../../b'), /"a\/\.\.\/\.\.\/b" has a "\.\." segment/],
  ['a backslash', (m) => withPaths(m, 'a\\b'), /contains a backslash/],
  ['a hidden file', (m) => withPaths(m, '.hidden'), /segment "\.hidden", not a plain name/],
  ['a path of 4 segments', (m) => withPaths(m, 'a/b/c/d'), /"a\/b\/c\/d" has 4 segments, more than 3/],
  ['a NUL byte', (m) => withPaths(m, 'a\0b'), /contains a NUL byte/],
  ['a path twice', (m) => withPaths(m, 'a.txt', 'x', 'a.txt'), /files\[2\]\.path: "a\.txt" appears twice/],
  ['a file that is also a directory', (m) => withPaths(m, 'run', 'run/x'), /"run\/x" lies under "run", which is/],
  ['an unknown field', (m) => ({ ...m, extra: 1 }), /Unrecognized key: "extra"/],
  ['an unknown field in a file', (m) => ({ ...m, files: [{ ...m.files[0], mode: 0o777 }] }), /files\[0\].*"mode"/],
  [
    `${MAX_FILES + 1} files`,
    (m) => withPaths(m, ...Array.from({ length: MAX_FILES + 1 }, (_, i) => `f${i}`)),
    /more than 64 files/,
  ],
  [
    'more than 2 GiB in all',
    (m) => ({ ...m, files: ['x', 'y'].map((p) => ({ ...entry(m, p), bytes: 1.5 * 1024 ** 3 })) }),
    /files: 3221225472 bytes in all/,
  ],
  ['a key with a colon', (m) => ({ ...m, key: `${m.key}:0` }), /key: not a valid upload key/],
  ['a key that climbs', (m) => ({ ...m, key: '../x' }), /key: not a valid upload key/],
  ['no version', ({ v: _, ...m }) => m, /^manifest rejected at v:/],
  [
    "a chunk whose content does not match the file's sha256",
    async (m, key) => {
      await redis.set(`mnist-run:files:${key}:1:0`, gzipSync('HELLO')); // dir/b.txt holds "hello"
      return m;
    },
    /"dir\/b\.txt": sha256 differs from the manifest's/,
  ],
  [
    'a chunk that is not gzip',
    async (m, key) => {
      await redis.set(`mnist-run:files:${key}:1:0`, 'not gzip at all');
      return m;
    },
    /"dir\/b\.txt": its chunks are not valid gzip/,
  ],
  [
    'fewer bytes declared than the content has',
    (m) => ({ ...m, files: [{ ...m.files[0]!, bytes: 2 }, m.files[1]] }),
    /"a\.txt": more than the declared 2 bytes/,
  ],
  [
    'more bytes declared than the content has',
    (m) => ({ ...m, files: [{ ...m.files[0]!, bytes: 6 }, m.files[1]] }),
    /"a\.txt": 5 bytes, declared 6/,
  ],
  [
    'a gzip bomb: 256 MiB of zeros declared as 1 KiB',
    async (m, key) => {
      const bomb = gzipSync(Buffer.alloc(256 * MiB));
      await redis.set(`mnist-run:files:${key}:0:0`, bomb);
      const files = [{ ...m.files[0]!, bytes: 1024 }, m.files[1]!];
      return { ...m, files, gzipBytes: bomb.length + m.gzipBytes };
    },
    /"a\.txt": more than the declared 1024 bytes/,
  ],
  [
    'a missing chunk',
    async (m, key) => {
      await redis.del(`mnist-run:files:${key}:1:0`);
      return m;
    },
    /"dir\/b\.txt": chunk 0 is missing \(expired or deleted\)/,
  ],
  [
    'more chunks declared than there are',
    (m) => ({ ...m, files: [{ ...m.files[0]!, chunks: 2 }, m.files[1]] }),
    /"a\.txt": chunk 1 is missing/,
  ],
  [
    'fewer chunks declared than there are',
    async (m, key) => {
      await redis.set(`mnist-run:files:${key}:0:1`, 'x');
      return m;
    },
    /"a\.txt": more than 1 chunks in Redis/,
  ],
  ['a gzipBytes that lies', (m) => ({ ...m, gzipBytes: m.gzipBytes + 1 }), /gzip bytes, the manifest says/],
  ['not an object', () => 'manifest', /^manifest rejected: /],
];

describe('downloadFolder refuses a hostile manifest', () => {
  let small: string;
  beforeAll(async () => {
    small = join(root, 'hostile-src');
    await writeTree(small, { 'a.txt': 'hello', 'dir/b.txt': 'hello' });
  });

  it.each(hostile)('%s, and leaves nothing on disk', async (_, make, message) => {
    const key = `hostile-${counter++}`;
    const manifest = await make(await uploadFolder(redis, small, key), key);
    const { parent, target } = await freshTarget();
    const err = await downloadFolder(redis, manifest, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    // Nothing beside the target (where "../evil" would land), and the target itself is gone.
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('pathProblem', () => {
  it.each(['a', 'run/meta.json', 'run/model/weights.bin', '_x', 'A-1.b_c', 'x'.repeat(100), 'a..b'])(
    'accepts %j',
    (p) => {
      expect(pathProblem(p)).toBeUndefined();
    },
  );

  it.each([
    ['', 'is empty'],
    ['.', 'has a "." segment'],
    ['..', 'has a ".." segment'],
    ['../evil', 'has a ".." segment'],
    ['a/./b', 'has a "." segment'],
    ['/etc/passwd', 'is absolute'],
    ['a/../../b', 'has a ".." segment'],
    ['a\\b', 'contains a backslash'],
    ['a\0b', 'contains a NUL byte'],
    ['a//b', 'has an empty segment'],
    ['a/', 'has an empty segment'],
    ['.hidden', 'has segment ".hidden", not a plain name (no leading "." or "-")'],
    ['-rf', 'has segment "-rf", not a plain name (no leading "." or "-")'],
    ['a b', 'has segment "a b", not a plain name (no leading "." or "-")'],
    ['é', 'has segment "é", not a plain name (no leading "." or "-")'],
    ['x'.repeat(101), `has segment "${'x'.repeat(101)}", not a plain name (no leading "." or "-")`],
    ['a/b/c/d', 'has 4 segments, more than 3'],
  ])('refuses %j: it %s', (p, why) => {
    expect(pathProblem(p)).toBe(why);
  });
});
